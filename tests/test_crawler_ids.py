"""Canonical ids, table-driven: one row per spelling a source may use."""

from __future__ import annotations

import pytest

from crawler.ids import arxiv_id, arxiv_version, canonical_id, canonical_url, find_references, id_to_url, work_id

CANONICAL_URL = [
    ("HTTP://Example.COM/Path?b=2&a=1#frag", "http://example.com/Path?a=1&b=2"),
    ("https://example.com:443/x", "https://example.com/x"),
    ("http://example.com:80", "http://example.com/"),
    ("http://example.com:8080/x", "http://example.com:8080/x"),
    ("https://blog.example.org/p?utm_source=rss&utm_medium=feed&id=7", "https://blog.example.org/p?id=7"),
    ("https://x.org/a?fbclid=1&gclid=2&mc_cid=3&mc_eid=4&ref_src=twsrc", "https://x.org/a"),
    ("https://medium.com/@a/post-1?source=rss----abc---4", "https://medium.com/@a/post-1"),
    ("https://x.org/a?q=a%20b", "https://x.org/a?q=a%20b"),
    ("https://x.org/a?q=a+b", "https://x.org/a?q=a%20b"),
    ("https://user:pw@x.org/a", "https://x.org/a"),
    ("  https://x.org/a  ", "https://x.org/a"),
    ("https://EXAMPLE.com./A", "https://example.com/A"),
    ("mailto:someone@example.org", "mailto:someone@example.org"),
]


@pytest.mark.parametrize(("url", "expected"), CANONICAL_URL)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


ARXIV = [
    ("2401.01234", "2401.01234", None),
    ("2401.01234v2", "2401.01234", 2),
    ("arXiv:2401.01234v3", "2401.01234", 3),
    ("oai:arXiv.org:2401.01234v2", "2401.01234", 2),
    ("0704.0001", "0704.0001", None),
    ("cs/0112017", "cs/0112017", None),
    ("math.GT/0309136v1", "math.GT/0309136", 1),
    ("hep-th/9901001", "hep-th/9901001", None),
    ("https://arxiv.org/abs/2401.01234", "2401.01234", None),
    ("http://arxiv.org/abs/2401.01234v1", "2401.01234", 1),
    ("https://arxiv.org/pdf/2401.01234v4.pdf", "2401.01234", 4),
    ("https://arxiv.org/pdf/2401.01234", "2401.01234", None),
    ("https://arxiv.org/html/2401.01234v1", "2401.01234", 1),
    ("https://export.arxiv.org/abs/cs/0112017v2", "cs/0112017", 2),
    ("https://www.arxiv.org/abs/2401.01234/", "2401.01234", None),
    ("https://doi.org/10.48550/arXiv.2401.01234", "2401.01234", None),
    # Where newsletters link papers besides arXiv itself: each names the same paper.
    ("https://huggingface.co/papers/2401.01234", "2401.01234", None),
    ("https://huggingface.co/papers/2401.01234/", "2401.01234", None),
    ("https://huggingface.co/papers/2401.01234?utm_source=digest#community", "2401.01234", None),
    ("https://hf.co/papers/2401.01234", "2401.01234", None),
    ("https://www.huggingface.co/papers/2401.01234v2", "2401.01234", 2),
    ("https://alphaxiv.org/abs/2401.01234", "2401.01234", None),
    ("https://www.alphaxiv.org/abs/2401.01234v3", "2401.01234", 3),
    ("https://www.alphaxiv.org/abs/2401.01234?tab=comments/", "2401.01234", None),
    ("https://www.alphaxiv.org/overview/2401.01234", "2401.01234", None),
    ("https://arxiv.org/html/2401.01234v2", "2401.01234", 2),
    ("https://arxiv.org/html/2401.01234v2/", "2401.01234", 2),
    ("https://arxiv.org/html/2401.01234?x=1", "2401.01234", None),
    ("https://ar5iv.labs.arxiv.org/html/2401.01234", "2401.01234", None),
    ("https://ar5iv.labs.arxiv.org/html/2401.01234v1/", "2401.01234", 1),
    ("https://ar5iv.org/abs/2401.01234", "2401.01234", None),
    ("http://ar5iv.org/abs/2401.01234v4?context=cs.LG", "2401.01234", 4),
    ("https://ar5iv.org/html/cs/0112017", "cs/0112017", None),
    ("https://huggingface.co/papers", None, None),
    ("https://huggingface.co/datasets/2401.01234", None, None),
    ("https://alphaxiv.org/explore/2401.01234", None, None),
    ("https://notalphaxiv.org/abs/2401.01234", None, None),
    ("https://de.arxiv.org/abs/2401.01234v2", "2401.01234", 2),
    ("https://arxiv.org.evil.example/abs/2401.01234", None, None),
    ("https://example.com/abs/2401.01234", None, None),
    ("https://arxiv.org/list/cs.LG/new", None, None),
    ("see 2401.01234 for details", None, None),
    ("", None, None),
]


@pytest.mark.parametrize(("text", "expected", "version"), ARXIV)
def test_arxiv_id_and_version(text: str, expected: str | None, version: int | None) -> None:
    assert arxiv_id(text) == expected
    if expected:
        assert arxiv_version(text) == version


CANONICAL_ID = [
    ({"url": "https://arxiv.org/abs/2401.01234v2"}, "arxiv:2401.01234"),
    ({"url": "https://arxiv.org/pdf/cs/0112017v1.pdf"}, "arxiv:cs/0112017"),
    ({"arxiv": "2401.01234v5", "url": "https://blog.example/x"}, "arxiv:2401.01234"),
    ({"doi": "10.1234/ABC.def"}, "doi:10.1234/abc.def"),
    ({"doi": "doi:10.1234/ABC"}, "doi:10.1234/abc"),
    ({"doi": "https://doi.org/10.1234/ABC"}, "doi:10.1234/abc"),
    ({"doi": "10.48550/arXiv.2401.01234"}, "arxiv:2401.01234"),
    ({"url": "https://dx.doi.org/10.1145/3377811.3380330"}, "doi:10.1145/3377811.3380330"),
    ({"url": "https://doi.org/10.1000/a%2Fb"}, "doi:10.1000/a/b"),
    ({"url": "https://Example.com/post?utm_campaign=x#top"}, "url:https://example.com/post"),
    ({"url": "https://example.com/p", "doi": "10.5555/XYZ"}, "doi:10.5555/xyz"),
    ({"url": "https://example.com/p", "arxiv": "not an id"}, "url:https://example.com/p"),
]


@pytest.mark.parametrize(("kwargs", "expected"), CANONICAL_ID)
def test_canonical_id(kwargs: dict[str, str], expected: str) -> None:
    assert canonical_id(**kwargs) == expected


def test_canonical_id_needs_something() -> None:
    with pytest.raises(ValueError, match="no usable arXiv id"):
        canonical_id()


REFERENCES = [
    ("We build on arXiv:2401.01234v2 and https://arxiv.org/abs/2312.00001.", ["arxiv:2401.01234", "arxiv:2312.00001"]),
    (
        '<a href="https://arxiv.org/pdf/2401.01234v1.pdf">paper</a> (doi:10.1145/3377811.3380330).',
        ["arxiv:2401.01234", "doi:10.1145/3377811.3380330"],
    ),
    (
        "Code: https://github.com/OpenAI/Evals.git and https://github.com/openai/evals/tree/main",
        ["url:https://github.com/openai/evals"],
    ),
    ("https://github.com/features/copilot is not a repo", []),
    (
        "Published as https://doi.org/10.48550/arXiv.2310.00002 (see also arXiv:cs/0112017)",
        ["arxiv:2310.00002", "arxiv:cs/0112017"],
    ),
    ("version 2401.01234 of the tool", []),
    ("&lt;a href=&quot;https://arxiv.org/abs/2401.09999&quot;&gt;", ["arxiv:2401.09999"]),
    (
        '<a href="https://huggingface.co/papers/2401.00003">HF</a>, www.alphaxiv.org/abs/2401.00004v2, '
        "https://ar5iv.labs.arxiv.org/html/2401.00005, ar5iv.org/abs/2401.00006/ and arxiv.org/html/2401.00007v2",
        ["arxiv:2401.00003", "arxiv:2401.00004", "arxiv:2401.00005", "arxiv:2401.00006", "arxiv:2401.00007"],
    ),
    (
        "HTTPS://ARXIV.ORG/PDF/math.GT/0309136v1 and notarxiv.org/abs/2401.00008 and barxiv:2401.00009",
        ["arxiv:math.GT/0309136"],
    ),
    ("lanl.arxiv.org/abs/2401.00010 and arxiv.org.evil.example/abs/2401.00011", ["arxiv:2401.00010"]),
    ("", []),
]


@pytest.mark.parametrize(("text", "expected"), REFERENCES)
def test_find_references(text: str, expected: list[str]) -> None:
    assert find_references(text) == expected


def test_id_to_url_round_trips() -> None:
    for cid in ("arxiv:2401.01234", "doi:10.1234/abc", "url:https://example.com/p"):
        assert canonical_id(id_to_url(cid)) == cid


# What a person pastes into `rsiwatch accept` (copied from a terminal, a newsletter, a browser's bar).
WORK_IDS = [
    ("arxiv:2606.08092", "arxiv:2606.08092"),
    ("arxiv:2606.08092v2", "arxiv:2606.08092"),
    ("arXiv:2606.08092", "arxiv:2606.08092"),
    ("2606.08092", "arxiv:2606.08092"),
    ("  2606.08092v3\n", "arxiv:2606.08092"),
    ("https://arxiv.org/abs/2606.08092", "arxiv:2606.08092"),
    ("<https://arxiv.org/pdf/2606.08092v2>", "arxiv:2606.08092"),
    ("https://huggingface.co/papers/2606.08092", "arxiv:2606.08092"),
    ("https://www.alphaxiv.org/abs/2606.08092v1?ref=x", "arxiv:2606.08092"),
    ("https://ar5iv.labs.arxiv.org/html/2606.08092", "arxiv:2606.08092"),
    ("10.48550/arXiv.2606.08092", "arxiv:2606.08092"),
    ("cs/0112017v1", "arxiv:cs/0112017"),
    ("10.1145/3377811.3380330", "doi:10.1145/3377811.3380330"),
    ("doi:10.1145/ABC", "doi:10.1145/abc"),
    ("https://doi.org/10.1145/ABC", "doi:10.1145/abc"),
    ("url:https://example.org/post", "url:https://example.org/post"),
    ("url:https://example.org/feed#0123456789abcdef", "url:https://example.org/feed#0123456789abcdef"),
    ("https://Example.org/post?utm_source=x", "url:https://example.org/post"),
    ("not an id", None),
    ("arxiv:nope", None),
    ("", None),
]


@pytest.mark.parametrize(("text", "expected"), WORK_IDS)
def test_work_id_as_people_paste_it(text: str, expected: str | None) -> None:
    assert work_id(text) == expected
