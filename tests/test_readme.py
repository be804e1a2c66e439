"""README.md is a front page (under 300 lines) whose Layout names every
package folder, and every relative link of README.md and docs/*.md leads
to a file of this repository (and to a heading there, for a #anchor)."""
import glob
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGES = [os.path.join(ROOT, 'README.md')] + sorted(
    glob.glob(os.path.join(ROOT, 'docs', '*.md')))
# [text](target) and ![alt](target), outside code blocks and code spans
LINK = re.compile(r'!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)')


def without_code_blocks(text):
    return re.sub(r'^```.*?^```', '', text, flags=re.S | re.M)


def prose(text):
    """The text without fenced code blocks and inline code."""
    return re.sub(r'`[^`\n]*`', '', without_code_blocks(text))


def anchors(path):
    """GitHub's anchors of a Markdown file's headings (inline code
    included, its backquotes dropped)."""
    found = set()
    for line in without_code_blocks(open(path).read()).splitlines():
        heading = re.match(r'#{1,6}\s+(.*)', line)
        if heading:
            slug = re.sub(r'[^\w\- ]', '', heading.group(1).strip().lower())
            found.add(slug.replace(' ', '-'))
    return found


def links(page):
    return LINK.findall(prose(open(page).read()))


def test_readme_is_under_300_lines():
    with open(os.path.join(ROOT, 'README.md')) as f:
        assert len(f.read().splitlines()) < 300


def test_links_are_found_and_some_are_checked():
    """The pattern finds the pages' links (or the test below checks
    nothing)."""
    assert len(PAGES) > 10
    readme = links(PAGES[0])
    assert 'docs/installation.md' in readme and 'LICENSE' in readme
    assert sum(len(links(page)) for page in PAGES) > 50


@pytest.mark.parametrize('page', PAGES, ids=os.path.basename)
def test_every_relative_link_leads_to_a_file_here(page):
    broken = []
    for target in links(page):
        if re.match(r'[a-z]+:', target):  # https:, mailto:
            continue
        path, _, anchor = target.partition('#')
        file = os.path.normpath(os.path.join(os.path.dirname(page), path)) \
            if path else page
        if os.path.relpath(file, ROOT).startswith('..'):
            broken.append(f'{target} (outside the repository)')
        elif not os.path.exists(file):
            broken.append(f'{target} (no such file)')
        elif anchor and file.endswith('.md') and anchor not in anchors(file):
            broken.append(f'{target} (no such heading)')
    assert broken == []


def test_readme_layout_names_every_package_folder():
    text = open(os.path.join(ROOT, 'README.md')).read()
    layout = text.split('## Layout')[1].split('## ')[0]
    names = set(re.findall(r'([\w.]+/)', layout))
    folders = [os.path.basename(os.path.normpath(d)) + '/' for d in
               glob.glob(os.path.join(ROOT, 'gcp_mm', '*', ''))
               + glob.glob(os.path.join(ROOT, 'gcp_mm', 'models', '*', ''))
               + glob.glob(os.path.join(ROOT, 'configs', '*', ''))]
    missing = {f for f in folders if f not in names and f != '__pycache__/'}
    assert missing == set()
