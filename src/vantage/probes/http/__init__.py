"""The HTTP probe (API and URL checks): `probe.py` runs a check on `client.py`'s raw HTTP/1.1
client, which opens sockets through `conn.py`; `errors.py` words every failure as Node does,
`timing.py` measures the phases and `assertions.py` judges the response."""
