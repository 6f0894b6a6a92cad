"""One module per kind of channel; `send` picks the module by the channel's type."""
