"""The report's HTML: domain/report.py's data, charts drawn by pygal, laid out by a Jinja template.

One self-contained file: the charts are inline SVG (pygal renders SVG itself,
no browser script: its tooltips script is switched off), the styles are in the
page, nothing is fetched from anywhere, and the print styles lay it out on A4.

pygal was chosen over matplotlib (measured on this machine, Python 3.11): it
imports in 0.12 s against 0.9-1.3 s, and installs 1.3 MB of pure Python with no
dependency, against 35 MB plus numpy (45 MB), Pillow and fontTools; its SVG is
what an HTML page embeds. Jinja2 (autoescaping) writes the page: no value is
pasted into HTML by hand.
"""

from __future__ import annotations

from typing import Any

from accomp.resources import package_text

# Colours that print well in grey too; the three weekly-hours bands go from warm to cool.
PALETTE = ("#1f5f8b", "#e07b39", "#5a9e4b", "#8c6bb1", "#c44e52", "#7f7f7f")
BAND_COLOURS = ("#c44e52", "#e0a339", "#5a9e4b")


def _value(count: Any) -> float | None:
    """A count as a chart value: a hidden small cell ("< 5") is not drawn."""
    return count if isinstance(count, int | float) else None


def _chart(kind: str, title: str, labels: list[str], series: list[tuple[str, list[Any]]],
           colours: tuple[str, ...] = PALETTE, **options: Any) -> str:  # fmt: skip
    import pygal
    from pygal.style import Style

    style = Style(
        background="white",
        plot_background="white",
        colors=colours,
        font_family="sans-serif",
        title_font_size=14,
        label_font_size=10,
        major_label_font_size=10,
        legend_font_size=11,
    )
    settings = {"width": 760, "height": 300, **options}
    chart = getattr(pygal, kind)(
        title=title,
        style=style,
        js=[],  # no script fetched from the internet: the page is offline
        disable_xml_declaration=True,
        x_label_rotation=30 if len(labels) > 8 else 0,
        show_minor_x_labels=len(labels) <= 16,
        x_labels_major_every=max(1, len(labels) // 12),
        truncate_label=-1,
        print_values=False,
        legend_at_bottom=True,
        **settings,
    )
    # pygal names each chart by a random uuid (its CSS scope and config): a name from the
    # title instead, so that the same store gives the same bytes.
    chart.uuid = "accomp-" + "".join(c if c.isalnum() else "-" for c in title.lower())
    chart.x_labels = labels
    drawn = [v for _, values in series for v in values if isinstance(v, int | float) and v]
    top = max(drawn, default=1)
    step = max(1, -(-top // 8))  # counts of people: whole numbers on the axis, 8 at most
    chart.y_labels = list(range(0, int(top) + step + 1, int(step)))
    for name, values in series:
        chart.add(name, [_value(v) for v in values])
    return str(chart.render(is_unicode=True))


def charts(data: dict[str, Any]) -> dict[str, str]:
    """The report's charts as inline SVG, by name."""
    months = [row["month"] for row in data["per_month"]]
    weeks = data["weekly_hours"]["weeks"]
    bands = data["weekly_hours"]["bands"]
    categories = data["exit_categories"]
    drawn = {
        "per_month": _chart(
            "Bar",
            "Entries and exits per month",
            months,
            [
                ("entries", [row["entries"] for row in data["per_month"]]),
                ("exits", [row["exits"] for row in data["per_month"]]),
            ],
        ),
        "exit_categories": _chart(
            "Bar",
            "Exits by category",
            list(categories),
            [("exits", list(categories.values()))],
            show_legend=False,
        ),
        "weekly_hours": _chart(
            "StackedBar",
            "People per week by realised hours (weeks judged)",
            [week["week"] for week in weeks],
            [(label, [week[label] for week in weeks]) for label in bands],
            colours=BAND_COLOURS,
        ),
        "caseload": _chart(
            "Bar",
            "Active cases per referent at the end of the period, and the limit",
            [row["referent"] for row in data["caseload"]],
            [
                ("active cases", [row["cases"] for row in data["caseload"]]),
                ("limit", [row["limit"] for row in data["caseload"]]),
            ],
        ),
    }
    for dimension, counts in data["profile"].items():
        drawn[f"profile-{dimension}"] = _chart(
            "HorizontalBar",
            f"The cohort by {dimension.replace('-', ' ')}",
            list(counts),
            [("people", list(counts.values()))],
            show_legend=False,
            height=60 + 28 * max(1, len(counts)),
        )
    return drawn


def render_report(data: dict[str, Any]) -> str:
    """The whole report page."""
    import jinja2
    import markupsafe

    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    environment.filters["percent"] = lambda rate: f"{rate * 100:.1f} %"
    template = environment.from_string(package_text("templates/report.html.j2"))
    # The SVG comes from pygal, not from the store: it is markup, the rest is escaped.
    svg = {name: markupsafe.Markup(chart) for name, chart in charts(data).items()}
    return template.render(data=data, charts=svg)


WEEKDAY_NAMES = {"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday",
                 "fri": "Friday", "sat": "Saturday", "sun": "Sunday"}  # fmt: skip


def render_week(
    programme: dict[str, Any], identity: dict[str, Any], referent: dict[str, Any]
) -> str:
    """The person's week (domain/week.py) as a one-page printable programme, for them: it
    carries their name and their referent's contact, never anything else of the case."""
    import jinja2

    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = environment.from_string(package_text("templates/week.html.j2"))
    days: dict[str, list[dict[str, Any]]] = {}
    for slot in programme["slots"]:
        days.setdefault(slot["date"], []).append(slot)
    return template.render(
        week=programme,
        days=[
            (WEEKDAY_NAMES[slots[0]["day"]], date, slots) for date, slots in sorted(days.items())
        ],
        person=f"{identity['given_name']} {identity['family_name']}",
        referent=referent,
    )
