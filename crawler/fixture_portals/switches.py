"""The failure switches a fixture portal can be set to (portals.md F1–F14), as data.

Every portal has its own ``Switches``; all are off by default. Set them with
``FixtureNetwork.set_switch(portal, name, value)`` or ``POST /__control__`` on
the portal's host with ``{"name": value, ...}``. ``SWITCHES`` lists each one
with its default and what it does; unknown names and ill-typed values are errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

WAF_KINDS = ("rs412", "jsl521", "acw", "enable_js", "cloudwaf")
ROBOTS_KINDS = ("allow", "disallow_all", "404", "html", "5xx", "challenge")
DRIFT_KINDS = ("", "404", "403", "redirect_home")
SOFT404_KINDS = ("", "error_text", "empty")
CHAOS_KINDS = ("5xx", "reset", "timeout", "truncate")

# name -> (description); defaults live on the dataclass below.
SWITCHES: dict[str, str] = {
    "waf": "F1–F4: every response becomes a WAF challenge: " + ", ".join(WAF_KINDS),
    "waf_after": "serve this many requests normally before the WAF starts challenging",
    "status_5xx": "every response answers this 5xx status (0 = off)",
    "retry_after": "Retry-After seconds sent with 503/429 answers (0 = none)",
    "reset": "every connection is reset before a response is sent",
    "delay": "seconds to wait before answering (slow or hanging portal, F13)",
    "truncate": "bodies are cut short: Content-Length larger than what is sent (F13)",
    "path_drift": "F5: the 年报 column answers " + "|".join(k or "''" for k in DRIFT_KINDS),
    "soft404": "F7: report pages answer 200 with error text ('error_text') or nothing ('empty')",
    "layout_change": "F11: list pages are redesigned and show no items in their markup",
    "robots": "F10: robots.txt is " + "|".join(ROBOTS_KINDS),
    "replace_attachment": "F14: the first replaceable attachment is re-uploaded N times (same URL)",
    "oversize": "F13: the replaceable attachment grows by this many MiB (a huge scan)",
    "edit_report": "F14: the newest report page is edited in place N times",
    "add_report": "publish N new reports (from the portal's reserve) at the top of the list",
    "drop_items": "F9: the N oldest items drop out of the list; their pages still resolve",
    "total_change": "F8 (hanweb_jcms): a report is added right after the first dataproxy request",
    "chaos": "fail this fraction (0–1) of responses at random: " + ", ".join(CHAOS_KINDS),
    "chaos_seed": "seed of the chaos switch's random choices",
    "chaos_timeout": "seconds a 'timeout' chaos failure hangs before closing",
}


@dataclass
class Switches:
    """One portal's switches (see ``SWITCHES`` for what each does)."""

    waf: str = ""
    waf_after: int = 0
    status_5xx: int = 0
    retry_after: int = 0
    reset: bool = False
    delay: float = 0.0
    truncate: bool = False
    path_drift: str = ""
    soft404: str = ""
    layout_change: bool = False
    robots: str = "allow"
    replace_attachment: int = 0
    oversize: int = 0
    edit_report: int = 0
    add_report: int = 0
    drop_items: int = 0
    total_change: bool = False
    chaos: float = 0.0
    chaos_seed: int = 0
    chaos_timeout: float = 5.0
    # Counters the portal keeps while serving (not switches).
    served: int = field(default=0, repr=False)
    dataproxy_served: int = field(default=0, repr=False)

    def set(self, name: str, value: Any) -> None:
        """Set one switch, checking its name and value."""
        if name not in SWITCHES:
            raise KeyError(f"unknown switch {name!r}; known: {', '.join(SWITCHES)}")
        current = getattr(self, name)
        if isinstance(current, bool):
            if not isinstance(value, bool):
                raise ValueError(f"switch {name} takes true/false, not {value!r}")
        elif isinstance(current, int):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"switch {name} takes a whole number ≥ 0, not {value!r}")
        elif isinstance(current, float):
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"switch {name} takes a number ≥ 0, not {value!r}")
            value = float(value)
            if name == "chaos" and value > 1:
                raise ValueError("switch chaos takes a fraction between 0 and 1")
        elif isinstance(current, str):
            allowed = {
                "waf": ("",) + WAF_KINDS,
                "robots": ROBOTS_KINDS,
                "path_drift": DRIFT_KINDS,
                "soft404": SOFT404_KINDS,
            }[name]
            if value not in allowed:
                raise ValueError(f"switch {name} takes one of {allowed}, not {value!r}")
        if name == "status_5xx" and value and not 500 <= value <= 599:
            raise ValueError(f"switch status_5xx takes a 5xx status or 0, not {value!r}")
        setattr(self, name, value)

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name in SWITCHES}
