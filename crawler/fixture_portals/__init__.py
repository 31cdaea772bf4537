"""The fixture portal network and the documents it serves.

Tests and demos crawl real HTTP servers on loopback that imitate government
portals. This package holds both halves:

- ``reports``: the reports themselves as *report specs* (the gold files'
  shape): the five seeds and a deterministic generator of synthetic reports.
- ``render_html``: a report spec rendered as a portal page (TRS, Hanweb,
  gkmlpt styles; UTF-8 or GBK) or as the Markdown a PDF converter emits.
- the portal servers (``server``) that put those documents on the network.
"""
