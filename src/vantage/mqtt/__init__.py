"""The result channel: MQTT 3.1.1 over WebSocket at `/mqtt`, the subset the Checkly CLI uses.

`codec` frames packets (pure), `topics` matches filters (pure), `broker` runs one client's
conversation and fans published messages out to this process's subscribers, `endpoint` is the
WebSocket route. Across replicas a publication travels as a wake-up (`vantage.wakeups`).
"""
