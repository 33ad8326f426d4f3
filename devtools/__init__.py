"""Development harnesses, not product code: the WeChat simulator (`python -m devtools.wechat_sim`) and the real
`bot`+`app` processes on free ports that the integration tests, browser tests and benchmarks start (`stack`).
Importable from the repository root like `tests/` and `benchmarks/`; not installed with the product."""
