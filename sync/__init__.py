"""The two-way link with the local 12345 hotline (第十二条, 第十三条): knowledge-base sync (kb.py) through
connectors (HTTP/JSON, files), and the exchange of work orders (orders.py). No Flask here."""
