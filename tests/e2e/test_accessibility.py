"""Issue 12 §10: axe-core finds no serious or critical violation on any main page.

axe-core is the released copy that the `axe-playwright-python` dev dependency
bundles (`axe_playwright_python/axe.min.js`, axe-core 4.12.1), installed by
`uv sync --all-groups`, never committed here. The page's CSP allows only
`script-src 'self'`, so a `<script>` tag with the library's text would be
refused; the library is run with `page.evaluate(<its text>)` instead, which the
DevTools protocol evaluates outside the page's CSP. The browser context keeps
the CSP on (no `bypass_csp`): the page is checked as members get it.

Every page of tests/e2e/pages.py is checked in Greek and in English; the test
id names both (`-k "sheet-errors-en"` runs one).
"""

from importlib import resources

import pytest

from tests.e2e.pages import PAGES, open_page, page_params

pytestmark = pytest.mark.e2e

FAILING_IMPACTS = ("serious", "critical")


def axe_source() -> str:
    return resources.files("axe_playwright_python").joinpath("axe.min.js").read_text("utf-8")


def run_axe(page) -> dict:
    page.evaluate(axe_source())
    return page.evaluate("() => axe.run(document, { resultTypes: ['violations'] })")


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']} "
            f"<{violation['helpUrl']}>"
        )
        for node in violation["nodes"][:10]:
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    {' > '.join(map(str, node['target']))}: {summary}")
        if len(violation["nodes"]) > 10:
            lines.append(f"    ... and {len(violation['nodes']) - 10} more")
    return "\n".join(lines)


def test_i12_axe_core_is_the_released_copy():
    source = axe_source()
    assert source.startswith("/*! axe v4."), source[:40]


def test_i12_every_console_list_the_staff_open_is_on_the_list_of_pages(helpdesk, secretariat):
    """A model registered in the console later is checked too, or this test says so.

    Lists only a superuser may open (groups, task results) are not the staff's pages.
    """
    from django.contrib import admin
    from django.urls import reverse

    lists = {
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
        if any(
            user.has_perm(f"{model._meta.app_label}.view_{model._meta.model_name}")
            for user in (helpdesk, secretariat)
        )
    }
    checked = {target.path for target in PAGES}
    assert lists - checked == set()


@pytest.mark.parametrize(("target", "language"), page_params())
def test_i12_no_serious_accessibility_violation(
    target, language, page, live_server, site, settings
):
    open_page(page, live_server, site, target, language, settings)
    results = run_axe(page)
    assert results["testEngine"]["version"].startswith("4.")
    serious = [v for v in results["violations"] if v["impact"] in FAILING_IMPACTS]
    assert not serious, (
        f"{target.name} ({language}) at {page.url}, axe-core "
        f"{results['testEngine']['version']}:\n{describe(serious)}"
    )
