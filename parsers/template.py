"""The national template's vocabulary: table, row, column and check keys.

Keys follow ``../shared/spec/annual-report-template.md`` (copied into the
README's vocabulary section). Label variants live in ``labels.yml``.
"""

from __future__ import annotations

SECTIONS = ("overview", "proactive", "requests", "review_litigation", "problems", "other")

# 表三 columns (申请人情况), in order.
COLUMNS = (
    "natural_person",
    "commercial",
    "research",
    "social_org",
    "legal_service",
    "other_org",
    "total",
)

# 表三 rows, in template order; "other" is template 2019 only, "other_*" 2021 only.
REQUEST_ROWS_COMMON_HEAD = (
    "new_received",
    "carried_over",
    "granted",
    "partially_granted",
    "denied_state_secret",
    "denied_law_prohibited",
    "denied_security_stability",
    "denied_third_party",
    "denied_internal_affairs",
    "denied_process_info",
    "denied_enforcement_file",
    "denied_query_matter",
    "unavailable_not_held",
    "unavailable_needs_creation",
    "unavailable_unclear",
    "rejected_petition",
    "rejected_duplicate",
    "rejected_publication",
    "rejected_excessive",
    "rejected_confirmation",
)
REQUEST_ROWS_2019 = (*REQUEST_ROWS_COMMON_HEAD, "other", "total", "carried_forward")
REQUEST_ROWS_2021 = (
    *REQUEST_ROWS_COMMON_HEAD,
    "other_no_correction",
    "other_unpaid_fee",
    "other_other",
    "total",
    "carried_forward",
)
REQUEST_ROW_KEYS = tuple(dict.fromkeys(REQUEST_ROWS_2019 + REQUEST_ROWS_2021))

# Rows whose sum is the （七）总计 row (T3_TOTAL).
OUTCOME_ROWS = tuple(
    k
    for k in REQUEST_ROW_KEYS
    if k not in ("new_received", "carried_over", "total", "carried_forward")
)

# 表四: three groups × five outcomes.
GROUPS = ("review", "suit_direct", "suit_after_review")
OUTCOMES = ("upheld", "corrected", "other", "pending", "total")

# 表二 rows per template, with the metric keys (column order) of each row.
PROACTIVE_2019: dict[str, tuple[str, ...]] = {
    "rules": ("made", "published", "total_published"),
    "normative_docs": ("made", "published", "total_published"),
    "licensing": ("prev_count", "change", "decisions"),
    "other_services": ("prev_count", "change", "decisions"),
    "penalty": ("prev_count", "change", "decisions"),
    "enforcement": ("prev_count", "change", "decisions"),
    "fees": ("prev_count", "change"),
    "procurement": ("projects", "amount"),
}
PROACTIVE_2021: dict[str, tuple[str, ...]] = {
    "rules": ("issued", "repealed", "in_force"),
    "normative_docs": ("issued", "repealed", "in_force"),
    "licensing": ("decisions",),
    "penalty": ("decisions",),
    "enforcement": ("decisions",),
    "fees": ("amount",),
}

# Article 20 item of each 表二 row.
PROACTIVE_ITEMS = {
    "rules": "（一）",
    "normative_docs": "（一）",
    "licensing": "（五）",
    "other_services": "（五）",
    "penalty": "（六）",
    "enforcement": "（六）",
    "fees": "（八）",
    "procurement": "（九）",
}

MONEY_METRICS = frozenset({"amount"})

CHECKS = {
    "T3_BALANCE": "new_received + carried_over = total + carried_forward (each column)",
    "T3_TOTAL": "total = sum of all outcome rows (each column)",
    "T3_COLUMNS": "total column = sum of the six applicant columns (each row)",
    "T4_TOTAL": "total = upheld + corrected + other + pending (each group)",
    "T2_CHANGE": "prev_count + change = decisions (warning)",
}


def money_metric(metric: str) -> bool:
    """Whether a 表二 metric is an amount of money (kept with text, unit and yuan)."""
    return metric in MONEY_METRICS
