"""Staff accounts (editors, publishers, operators, handling units) and their API tokens. No Flask."""
