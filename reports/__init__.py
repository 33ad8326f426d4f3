"""Reports of the 12328 hotline (管理办法 第三十二条): monthly (月报), annual (年报) and special (专报) reports."""
