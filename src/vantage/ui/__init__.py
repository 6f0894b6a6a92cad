"""The web UI: server-rendered pages (Jinja2), each with a `.json` twin, on roll-ups and status
rows. The project's own small CSS and JS only; no third-party assets, no CDN."""
