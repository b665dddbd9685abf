"""Reading the resident's page for the banner."""

import re


def banner_shown(page: str) -> bool:
    tag = re.search(r'<section id="crisis-banner"[^>]*>', page)
    assert tag, "the banner is always on the chat page (hidden until needed)"
    return " hidden" not in tag.group(0)
