"""Ingestion: files become clean articles with their metadata.

Read top to bottom as the specification of :mod:`rag.ingest.reading`: what counts as
page furniture, what survives, which metadata a page yields, and how bad input
is reported (an :class:`InputError` naming the file, never a traceback).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from seed_truth import BODY_SENTENCES, FURNITURE, METADATA, SEED_SOURCES, SEEDS_DIR, normalise_ws

from rag.errors import InputError
from rag.ingest.reading import PDF_SUFFIXES, SUPPORTED_SUFFIXES, clean_text, iter_files, parse_document, read_document
from rag.types import Document

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ingestion"


def _paragraphs(text: str) -> list[str]:
    return [normalise_ws(p) for p in text.split("\n") if p.strip()]


def _assert_furniture_gone(text: str, furniture: list[str]) -> None:
    """A furniture line may not survive as a line; if it is 3+ words it may not survive anywhere."""
    paragraphs = _paragraphs(text)
    flat = normalise_ws(text)
    for line in furniture:
        line = normalise_ws(line)
        assert line not in paragraphs, f"furniture kept as a line: {line!r}"
        if len(line.split()) >= 3:
            assert line not in flat, f"furniture kept inside the text: {line!r}"


def _assert_sentences_once(text: str, sentences: list[str]) -> None:
    flat = normalise_ws(text)
    for sentence in sentences:
        count = flat.count(normalise_ws(sentence))
        assert count == 1, f"expected once, found {count} times: {sentence!r}"


@pytest.fixture(scope="module")
def seed_docs() -> dict[str, Document]:
    return {name: read_document(SEEDS_DIR / name) for name in SEED_SOURCES}


# --------------------------------------------------------------------------
# The five seeds against the hand-written ground truth
# --------------------------------------------------------------------------


def test_ground_truth_covers_every_seed() -> None:
    on_disk = sorted(p.name for p in SEEDS_DIR.iterdir() if p.is_file())
    assert on_disk == sorted(SEED_SOURCES)
    for table in (FURNITURE, BODY_SENTENCES, METADATA):
        assert sorted(table) == sorted(SEED_SOURCES)


def test_ground_truth_is_verbatim_from_the_seeds() -> None:
    """Guards the ground truth itself against typos: every string is in its seed."""
    for name in SEED_SOURCES:
        raw = normalise_ws((SEEDS_DIR / name).read_text(encoding="utf-8"))
        for line in FURNITURE[name] + BODY_SENTENCES[name]:
            assert normalise_ws(line) in raw, f"{name}: not in the seed: {line!r}"


@pytest.mark.parametrize("name", SEED_SOURCES)
def test_seed_furniture_is_removed(seed_docs: dict[str, Document], name: str) -> None:
    _assert_furniture_gone(seed_docs[name].text, FURNITURE[name])


@pytest.mark.parametrize("name", SEED_SOURCES)
def test_seed_body_sentences_survive_exactly_once(seed_docs: dict[str, Document], name: str) -> None:
    _assert_sentences_once(seed_docs[name].text, BODY_SENTENCES[name])


@pytest.mark.parametrize("name", SEED_SOURCES)
def test_seed_metadata(seed_docs: dict[str, Document], name: str) -> None:
    doc = seed_docs[name]
    got = {"title": doc.title, "publisher": doc.publisher, "date": doc.date, "url": doc.url}
    assert got == METADATA[name]


@pytest.mark.parametrize("name", SEED_SOURCES)
def test_seed_text_starts_with_its_headline_once(seed_docs: dict[str, Document], name: str) -> None:
    doc = seed_docs[name]
    assert doc.title is not None
    assert _paragraphs(doc.text)[0] == doc.title
    assert normalise_ws(doc.text).count(doc.title) == 1


@pytest.mark.parametrize("name", SEED_SOURCES)
def test_seed_text_has_no_repeated_or_broken_lines(seed_docs: dict[str, Document], name: str) -> None:
    paragraphs = _paragraphs(seed_docs[name].text)
    assert len(paragraphs) == len(set(paragraphs))
    for p in paragraphs:
        assert not p[0].islower() and p[0] not in ",;:.)”", f"starts mid-sentence: {p[:60]!r}"


@pytest.mark.parametrize("name", SEED_SOURCES)
def test_seed_identity(seed_docs: dict[str, Document], name: str) -> None:
    doc = seed_docs[name]
    assert doc.source == name
    assert doc.path == str((SEEDS_DIR / name).resolve())
    assert Path(doc.path).is_absolute()


def test_seed_004_body_scraped_twice_is_kept_once(seed_docs: dict[str, Document]) -> None:
    text = normalise_ws(seed_docs["004_d9df1ced53a76c60.txt"].text)
    assert text.count("Russia's foreign minister has accused the West") == 1
    assert text.count("Lavrov also stated that Russia and Belarus") == 1
    # the copy broken across lines is re-joined before comparing, so no fragment survives
    assert 'any "undercover" talks' in text
    assert "2022\n," not in seed_docs["004_d9df1ced53a76c60.txt"].text


# --------------------------------------------------------------------------
# Pages that are not seeds: same rules, other outlets, other formats
# --------------------------------------------------------------------------

HERALD_FURNITURE = [
    "date 2024-03-05 https://www.northseaherald.co.uk/business/2024/03/05/harbour-expansion-approved-4417",
    "Skip to main content",
    "Home | News | Business | Sport | Opinion",
    "Sign in",
    "We use cookies to give you the best experience. By continuing you agree to our cookie policy.",
    "Accept all cookies",
    "Business",
    "Published 5 March 2024, 14:05 GMT",
    "Updated 5 March 2024, 16:40 GMT",
    "Photo: North Sea Herald / Alan Reid",
    "Advertisement",
    "READ MORE: Ferry operator cuts winter timetable",
    "Share this article",
    "Follow us on Facebook Twitter Instagram",
    "Tags: shipping, Aberdeen, offshore energy, planning",
    "harbour, aberdeen, port expansion, jobs",
    "Most read",
    "Storm warning issued for the north-east coast",
    "Rail fares to rise by 4.9% in April",
    "Fishing fleet faces new quota cuts",
    "Newsletter",
    "Get the North Sea Herald morning briefing in your inbox.",
    "Subscribe now",
    "Comments (12)",
    "© 2024 North Sea Herald Ltd. All rights reserved. Registered in Scotland.",
    "newsdesk@northseaherald.co.uk",
    "English | Gàidhlig",
]
HERALD_BODY = [
    "The new quay will double the port's capacity by 2027.",
    "Councillors have approved a £350m expansion of Aberdeen South Harbour, ending a planning dispute"
    " that began in early 2022.",
    "The decision was taken by nine votes to four on Tuesday evening.",
    "The harbour board said the project would create around 600 construction jobs and a further 150"
    " permanent posts once the new quay opens.",
    'Its chief executive, Morag Lennox, called the vote "a turning point for the region."',
    "Opponents argued that dredging would damage a protected sandbank, and a coastal campaign group said"
    " it was considering a legal challenge.",
    "The project will be funded by a mix of private investment and a £40m loan from the national infrastructure bank.",
    "Work is expected to begin in the autumn.",
    "The harbour already handles 3.5 million tonnes of cargo a year, most of it linked to the offshore"
    " energy industry.",
    "The U.S. operator Atlantic Lift has said it will move its regional base to the new quay.",
]


def test_other_outlet_scraped_text_is_cleaned_by_the_same_rules() -> None:
    doc = read_document(FIXTURES / "north_sea_herald_scraped.txt")
    _assert_furniture_gone(doc.text, HERALD_FURNITURE)
    _assert_sentences_once(doc.text, HERALD_BODY)
    assert doc.title == "Harbour expansion approved after two-year planning battle"
    assert doc.date == "2024-03-05"
    assert doc.url == "https://www.northseaherald.co.uk/business/2024/03/05/harbour-expansion-approved-4417"
    assert doc.publisher == "northseaherald.co.uk"  # unknown outlet: its registrable domain


def test_html_page_keeps_the_article_and_reads_its_metadata() -> None:
    doc = read_document(FIXTURES / "ministry_statement.html")
    _assert_sentences_once(
        doc.text,
        [
            "Negotiators from four countries met in Istanbul on Friday to discuss reopening the Black Sea grain"
            " corridor, the first such meeting in three months.",
            "A spokesperson for the Turkish foreign ministry said the talks had been constructive and would"
            " continue next week.",
            "No joint statement was issued.",
            "Shipping insurers said they were watching the negotiations closely, as premiums for vessels crossing"
            " the region have tripled since the corridor was suspended.",
        ],
    )
    for junk in (
        "dataLayer",
        "position: fixed",
        "We use cookies",
        "World",
        "Wheat prices",
        "Related",
        "Share on",
        "Delegates",
        "Privacy",
        "All rights reserved",
        "By Eva Kask",
        "14 July 2023",
        "<",
    ):
        assert junk not in doc.text, junk
    assert doc.title == "Grain corridor talks resume in Istanbul"
    assert doc.publisher == "Baltic Wire"  # og:site_name for an outlet not in the table
    assert doc.date == "2023-07-14"
    assert doc.url == "https://www.balticwire.example/world/grain-corridor-talks-resume"


def test_markdown_syntax_is_stripped_and_the_heading_is_the_title() -> None:
    doc = read_document(FIXTURES / "field_notes.md")
    assert doc.title == "Ferry links restored to the outer islands"
    assert doc.date == "2024-03-12"
    assert doc.url is None and doc.publisher is None
    _assert_sentences_once(
        doc.text,
        [
            "After a week of cancellations, the island ferry service resumed on Monday morning.",
            "The operator said all three vessels were back in service and that Sunday's delayed sailings would be"
            " honoured without extra charge.",
            "Repairs were carried out overnight, according to a statement from the harbour authority.",
            "Passengers with cancelled bookings can rebook online or at the terminal.",
        ],
    )
    for syntax in ("#", "**", "](", "![", "[statement]", "https://", "images/ferry.jpg", "- Passengers"):
        assert syntax not in doc.text, syntax


def test_markdown_front_matter_gives_metadata() -> None:
    raw = (
        "---\ntitle: Quay reopens\ndate: 2024-04-02\nurl: https://www.kyivindependent.com/quay\n---\n\n"
        "The quay reopened on Tuesday after a month of repairs to the crane rails.\n"
    )
    doc = parse_document(raw, source="q.md", path="/tmp/q.md", suffix=".md")
    assert (doc.title, doc.date, doc.publisher) == ("Quay reopens", "2024-04-02", "The Kyiv Independent")
    assert doc.text == "Quay reopens\n\nThe quay reopened on Tuesday after a month of repairs to the crane rails."


def test_html_without_article_element_drops_page_header_and_footer() -> None:
    raw = (
        "<html><head><title>Budget passes - City Post</title><meta property='og:site_name' content='City Post'>"
        "</head><body><header><a href='/'>City Post</a> Latest news and weather</header>"
        "<div id='content'><h1>Budget passes</h1><p>The city council passed its budget on Monday, "
        "12 February 2024, after a six-hour debate.</p></div>"
        "<footer>About us. Contact the newsroom at desk@citypost.example for corrections.</footer></body></html>"
    )
    doc = parse_document(raw, source="b.html", path="/tmp/b.html", suffix=".html")
    assert doc.text == (
        "Budget passes\n\nThe city council passed its budget on Monday, 12 February 2024, after a six-hour debate."
    )
    assert (doc.title, doc.publisher, doc.date, doc.url) == ("Budget passes", "City Post", "2024-02-12", None)


def test_html_widgets_are_dropped_but_a_wrapper_with_a_junk_looking_class_is_not() -> None:
    raw = (
        "<html><body><div class='layout has-comments'><h1>Ferry fares frozen for 2025</h1>"
        f"<p>{LONG_BODY}</p><div class='newsletter-signup'><p>Get our morning briefing, every weekday.</p></div>"
        "<p style='display: none'>Hidden tracking text that nobody sees on the page.</p>"
        "<section class='comments'><p>Great news for the islands, finally some good sense.</p></section>"
        "</div></body></html>"
    )
    doc = parse_document(raw, source="f.html", path="/tmp/f.html", suffix=".html")
    assert doc.text == f"Ferry fares frozen for 2025\n\n{LONG_BODY}"


def test_txt_file_holding_html_is_parsed_as_html() -> None:
    raw = "<!DOCTYPE html><html><body><article><p>Rail strike called off after late-night talks.</p></article>"
    doc = parse_document(raw, source="saved.txt", path="/tmp/saved.txt")
    assert doc.text == "Rail strike called off after late-night talks."


# --------------------------------------------------------------------------
# The cleaning rules one by one
# --------------------------------------------------------------------------

BODY = "The committee approved the plan after a long debate on Tuesday."
LONG_BODY = (
    "Officials said the plan, which has been debated for more than two years, would be reviewed again in the"
    " spring by an independent panel of engineers and economists."
)


@pytest.mark.parametrize(
    "furniture",
    [
        "bookmark-bicon bookmarkicon cameraicon checkicon chevron downicon",  # icon word list
        "HomeRussia & FSU",  # glued breadcrumb
        "Home › World › Europe",
        "Top stories",
        "Podcasts",
        "The energy crisis is a major threat to the world. Is there a way out? FEATURE",
        "0:00",
        "19:57",
        "• 9",
        "This website uses cookies. Read our Privacy policy to find out more.",
        "Accept cookies",
        "Support Us",
        "Journalists fight on their own frontline. Support Ukrainska Pravda or become our patron!",
        "Read also: an interview with the ambassador",
        "Scholz explains need for top US warplanes READ MORE: Scholz explains need for top US warplanes",
        "/html/head/meta[@name='og:title']/@content",
        "https://example.com/2023/01/some-other-story.html",
        "https://cdn.example.com/img/1106494338_0:0:2951:1660_1920x0_80.jpg",
        "2023-01-19T13:30+0000",
        "1 Dec, 2022 09:56",
        "Thursday, 12 January 2023, 20:16",
        "Thursday, 12 January 2023, 20:16 Kyiv time",  # any named time zone, not a list of seed cities
        "March 3, 2024 10:15 AM Eastern Time",
        "• 6:10",  # a bullet before a counter or a time: no rule of its own
        "6:10",
        "Sputnik International feedback@sputniknews.com +74956456601",
        "© Autonomous Nonprofit Organization “TV-Novosti”, 2005–2022. All rights reserved.",
        "Russian Foreign Minister Sergey Lavrov ©  Sputnik / Mikhail Metzel",
        "العربيةespрусdefrrs",
        "English Русский Español Deutsch",
        "sergey lavrov's press conference",
        "russia and belarus, sanctions against russia, union state of russia and belarus, lavrov speech",
        "en_EN",
        "1920 1080 true",
        "2023",
        "Tags: Belarus, Russia, diplomacy",
    ],
)
def test_furniture_line_is_dropped(furniture: str) -> None:
    assert clean_text(f"{BODY}\n\n{furniture}\n\n{LONG_BODY}") == f"{BODY}\n\n{LONG_BODY}"


@pytest.mark.parametrize(
    "article_line",
    [
        "Chipmakers said demand for silicon wafers, silicon carbide and silicon chips remains high.",
        "Volunteers baked cookies for the soldiers at the front.",
        "The court ruled on the copyright dispute on Monday.",
        "Source: Maria Zaharova, Spokesperson for the Ministry of Foreign Affairs of Russia; European Pravda",
        "When it comes to defense, Western European states completely submit to the US, the minister has claimed",
        "Read the full statement below.",
        "Finland, Sweden - all this is very close to our borders, the minister said.",
        "Russia, Belarus, China sign a new trade pact",
        "HomePod owners can now pair two speakers for stereo sound",  # "Home" glued to a word is not a menu
        "Minsk time zone stays at UTC+3 all year, the government confirmed",
    ],
)
def test_article_lines_that_resemble_furniture_survive(article_line: str) -> None:
    assert clean_text(f"{BODY}\n\n{article_line}\n\n{LONG_BODY}") == f"{BODY}\n\n{article_line}\n\n{LONG_BODY}"


def test_short_first_line_is_the_headline_but_short_lines_elsewhere_are_labels() -> None:
    assert clean_text(f"Talks resume\n\n{BODY}\n\nWorld news\n\n{LONG_BODY}") == (
        f"Talks resume\n\n{BODY}\n\n{LONG_BODY}"
    )


def test_header_line_is_dropped_even_with_trailing_icon_words() -> None:
    raw = f" date 2022-12-01 icon bookmark-bicon cameraicon\n{BODY}"
    assert clean_text(raw) == BODY


def test_promo_block_is_dropped_up_to_the_next_real_paragraph() -> None:
    raw = (
        f"{BODY}\n\nTop stories\nCrisis deepens. Is there a way out?\nThe volunteer super-spy\n\n"
        f"Podcasts\n\nEnergy crisis explained\n\n0:00\n\n{LONG_BODY}"
    )
    cleaned = clean_text(raw)
    assert "Crisis" not in cleaned and "super-spy" not in cleaned
    assert cleaned.endswith("independent panel of engineers and economists.")


def test_repeated_lines_keep_the_first() -> None:
    assert clean_text(f"Bridge reopens after repairs\n\n{BODY}\n\nBridge reopens after repairs") == (
        f"Bridge reopens after repairs\n\n{BODY}"
    )


def test_repeated_sentences_are_dropped() -> None:
    other = "Opposition members walked out before the vote."
    assert clean_text(f"{BODY} {other}\n\n{other}\n\n{BODY}") == f"{BODY} {other}"


def test_short_sentences_may_repeat() -> None:
    assert clean_text("He said: No.\n\nShe said: No.") == "He said: No.\n\nShe said: No."


@pytest.mark.parametrize(
    ("glued", "spaced"),
    [
        ("on Thursday.Russia's top diplomat said", "on Thursday. Russia's top diplomat said"),
        ('their "illusions."Lavrov then added', 'their "illusions." Lavrov then added'),
        ('he stressed."We are not ready," he said', 'he stressed. "We are not ready," he said'),
        ("a way out?Officials doubt it", "a way out? Officials doubt it"),
        ("in April 2022.The deal collapsed", "in April 2022. The deal collapsed"),
    ],
)
def test_glued_sentences_get_a_space(glued: str, spaced: str) -> None:
    assert clean_text(glued) == spaced


@pytest.mark.parametrize(
    "unchanged",
    [
        "The U.S. Army and the U.K. Navy held joint drills.",
        "Growth slowed to 3.5 percent last year.",
        "Details are at example.com/Reports.Annual for members.",
        "The full text is at https://example.org/Annual.Report for members.",
    ],
)
def test_abbreviations_decimals_and_addresses_are_not_split(unchanged: str) -> None:
    assert clean_text(f"{BODY}\n\n{unchanged}").endswith(unchanged)


def test_lines_broken_mid_sentence_are_joined() -> None:
    raw = (
        'That includes "the prospects for a settlement in April 2022\n'
        '," along with "the creeping expansion of weapons\n'
        '," Lavrov told a press conference\n'
        "with his Belarusian counterpart.\n"
        'Russia is not holding any "undercover\n'
        '" talks with the West on Ukraine,\n'
        "the foreign minister stressed."
    )
    assert clean_text(raw) == (
        'That includes "the prospects for a settlement in April 2022," along with "the creeping expansion of'
        ' weapons," Lavrov told a press conference with his Belarusian counterpart.\n\n'
        'Russia is not holding any "undercover" talks with the West on Ukraine, the foreign minister stressed.'
    )


def test_lower_case_line_after_a_finished_sentence_or_blank_line_is_not_joined() -> None:
    assert clean_text(f"{BODY}\neBay said it would appeal the ruling next week.") == (
        f"{BODY}\n\neBay said it would appeal the ruling next week."
    )


def test_whitespace_is_normalised() -> None:
    assert clean_text("\ufeffThe  meeting,\u00a0 held\tin Minsk,\r\nended\u200b early.  ") == (
        "The meeting, held in Minsk, ended early."
    )


def test_headline_and_standfirst_survive() -> None:
    raw = (
        "Moscow rejects European security without Russia and Belarus – Lavrov\n\n"
        "When it comes to defense, Western European states completely submit to the US, the minister has claimed\n\n"
        f"{BODY}"
    )
    assert clean_text(raw) == raw


# --------------------------------------------------------------------------
# Metadata rules
# --------------------------------------------------------------------------


def _doc(raw: str, suffix: str = ".txt") -> Document:
    return parse_document(raw, source="a" + suffix, path="/tmp/a" + suffix, suffix=suffix)


@pytest.mark.parametrize(
    ("dateline", "iso"),
    [
        ("Thursday, 12 January 2023, 20:16", "2023-01-12"),
        ("12 January 2023", "2023-01-12"),
        ("January 12, 2023", "2023-01-12"),
        ("Jan. 12, 2023", "2023-01-12"),
        ("1 Dec, 2022 09:56", "2022-12-01"),
        ("2nd March 2024", "2024-03-02"),
        ("2023-01-19T13:30+0000", "2023-01-19"),
        ("Posted on 2023-01-19", "2023-01-19"),
    ],
)
def test_first_full_date_in_the_body(dateline: str, iso: str) -> None:
    assert _doc(f"Bridge reopens after repairs\n\n{dateline}\n\n{BODY}").date == iso


@pytest.mark.parametrize(
    "no_full_date",
    ["on 19 January", "in January 2023", "the year 2022", "for 2022-2023", "on 31 February 2023", "12/01/2023"],
)
def test_dates_without_day_month_and_year_are_not_guessed(no_full_date: str) -> None:
    assert _doc(f"Bridge reopens after repairs\n\nThe vote took place {no_full_date} in the city hall.").date is None


def test_header_date_wins_over_dates_in_the_body() -> None:
    doc = _doc(f" date 2024-06-24\nTalks resume\n\nThe talks first began on 3 May 2021 in Geneva. {BODY}")
    assert (doc.date, doc.url) == ("2024-06-24", None)


@pytest.mark.parametrize(
    ("url", "publisher"),
    [
        ("https://sputniknews.com/20230119/x.html", "Sputnik"),
        ("https://sputnikglobe.com/20240624/x.html", "Sputnik"),
        ("https://www.rt.com/russia/567600-x/", "RT"),
        ("https://www.pravda.com.ua/eng/news/2023/01/12/7384393/", "Ukrainska Pravda"),
        ("https://president.gov.by/en/events/x", "President of the Republic of Belarus"),
        ("https://news.example.co.uk/a/b", "example.co.uk"),
        ("https://www.some-outlet.org/story", "some-outlet.org"),
    ],
)
def test_publisher_from_the_url(url: str, publisher: str) -> None:
    assert _doc(f" date 2023-01-19 {url}\nTalks resume\n\n{BODY}").publisher == publisher


@pytest.mark.parametrize(
    ("masthead", "publisher"),
    [
        ("© 2021 TV-Novosti. All rights reserved.", "RT"),  # an outlet's owner names it too
        ("Ukrainska Pravda app", "Ukrainska Pravda"),
        ("Contact the newsroom at desk@sputnikglobe.com", "Sputnik"),
        ("Copyright 2022 BBC.", "BBC"),
    ],
)
def test_publisher_from_a_masthead_when_there_is_no_url(masthead: str, publisher: str) -> None:
    doc = _doc(f"Talks resume\n\n{BODY}\n\n{masthead}")
    assert doc.publisher == publisher
    assert masthead not in doc.text


def test_photo_credit_naming_another_outlet_is_not_a_masthead() -> None:
    doc = _doc(f"Talks resume\n\nRussian Foreign Minister Sergey Lavrov © Sputnik / Mikhail Metzel\n\n{BODY}")
    assert doc.publisher is None


def test_title_is_none_when_the_page_has_no_headline() -> None:
    doc = _doc(f"{BODY} Opposition members walked out before the vote.")
    assert doc.title is None
    assert doc.publisher is None and doc.date is None and doc.url is None


def test_title_skips_timestamps_and_navigation() -> None:
    doc = _doc(f"1 Dec, 2022 09:56\nHomeRussia & FSU\n\nMoscow rejects the proposal\n\n{BODY}")
    assert doc.title == "Moscow rejects the proposal"


# --------------------------------------------------------------------------
# Files and bad input: a clear one-line InputError naming the file
# --------------------------------------------------------------------------


def _assert_input_error(path: Path, fragment: str) -> None:
    with pytest.raises(InputError) as info:
        read_document(path)
    message = str(info.value)
    assert "\n" not in message
    assert path.name in message
    assert fragment in message


def test_supported_suffixes() -> None:
    assert {".txt", ".md", ".markdown", ".html", ".htm", ".pdf"} <= SUPPORTED_SUFFIXES


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("Café déjà vu in Zürich, reported on Monday.".encode("latin-1"))
    _assert_input_error(path, "UTF-8")


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00")
    _assert_input_error(path, "binary")


def test_utf16_file(tmp_path: Path) -> None:
    path = tmp_path / "wide.txt"
    path.write_bytes(f"Talks resume\n\n{BODY}".encode("utf-16"))
    _assert_input_error(path, "UTF-16")


@pytest.mark.parametrize("content", [b"", b"   \n\n\t\n", b"\xef\xbb\xbf"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    _assert_input_error(path, "empty")


def test_file_with_only_furniture(tmp_path: Path) -> None:
    path = tmp_path / "junk.txt"
    path.write_text("Top stories\n\nAccept cookies\n\n2023-01-19T13:30+0000\n\nhttps://example.com/x\n")
    _assert_input_error(path, "no article text")


def test_missing_file(tmp_path: Path) -> None:
    _assert_input_error(tmp_path / "nowhere.txt", "not found")


def test_unsupported_suffix(tmp_path: Path) -> None:
    path = tmp_path / "report.docx"
    path.write_bytes(b"PK\x03\x04")
    _assert_input_error(path, "unsupported")


def test_folder_given_as_file(tmp_path: Path) -> None:
    folder = tmp_path / "articles.txt"
    folder.mkdir()
    _assert_input_error(folder, "folder")


def test_utf8_with_bom_and_crlf_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "windows.txt"
    path.write_bytes(f"Talks resume\r\n\r\n{BODY}\r\n".encode("utf-8-sig"))
    doc = read_document(path)
    assert doc.text == f"Talks resume\n\n{BODY}"
    assert doc.title == "Talks resume"
    assert doc.source == "windows.txt" and doc.path == str(path.resolve())


def test_iter_files_walks_folders_sorted_and_skips_hidden(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    (root / "b_sub").mkdir(parents=True)
    (root / ".git").mkdir()
    for name in ("z.txt", "a.md", "b_sub/c.HTML", ".hidden.txt", ".git/config.txt", "notes.odt"):
        (root / name).write_text(BODY)
    results = list(iter_files([root]))
    ok = [p.relative_to(root).as_posix() for p, warning in results if warning is None]
    warned = [p.name for p, warning in results if warning is not None]
    assert ok == ["a.md", "b_sub/c.HTML", "z.txt"]
    assert warned == ["notes.odt"]


def test_iter_files_warns_and_goes_on(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text(BODY)
    bad = tmp_path / "scan.docx"
    bad.write_text("x")
    results = list(iter_files([tmp_path / "missing.txt", bad, good]))
    assert [p for p, _ in results] == [tmp_path / "missing.txt", bad, good]
    missing_warning, bad_warning, good_warning = (w for _, w in results)
    assert missing_warning is not None and "missing.txt" in missing_warning and "\n" not in missing_warning
    assert bad_warning is not None and "unsupported" in bad_warning and ".docx" in bad_warning
    assert good_warning is None


def test_every_supported_file_that_iter_files_yields_reads(tmp_path: Path) -> None:
    text_suffixes = sorted(SUPPORTED_SUFFIXES - PDF_SUFFIXES)  # PDFs: tests/test_pdf.py
    for suffix in text_suffixes:
        (tmp_path / f"article{suffix}").write_text(f"Talks resume\n\n{BODY}\n")
    docs = [read_document(p) for p, warning in iter_files([tmp_path]) if warning is None]
    assert len(docs) == len(text_suffixes)
    assert all(BODY in d.text for d in docs)
