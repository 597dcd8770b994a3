"""Loading a site's licensed item wording from its own CSV file."""

from __future__ import annotations

import pytest

from psytrial.core.errors import ProtocolError
from psytrial.core.instruments import BUILTIN_ITEMS, load_wording, parse_instrument, score


def hrs():  # type: ignore[no-untyped-def]
    return parse_instrument({"id": "hrs", "kind": "hrs", "label": "HRS"})


def csv_for(ids: list[str]) -> str:
    rows = [f'{item},"Wording of {item}, as licensed"' for item in ids]
    return "item_id,text\n" + "\n".join(rows) + "\n"


ALL_IDS = [item.id for item in BUILTIN_ITEMS]


def test_it_loads_the_wording_of_every_item() -> None:
    wording = load_wording(csv_for(ALL_IDS), hrs())
    assert len(wording) == 72
    assert wording["som_01"] == "Wording of som_01, as licensed"


def test_it_accepts_a_byte_order_mark_crlf_and_blank_lines() -> None:
    text = "\ufeff" + csv_for(ALL_IDS).replace("\n", "\r\n") + "\r\n,\r\n"
    assert len(load_wording(text, hrs())) == 72


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (csv_for(ALL_IDS[:-2]), "hrs wording: missing text for 2 items: int_03, int_04"),
        (
            csv_for(ALL_IDS[:60]),
            "missing text for 12 items: vol_02, vol_03, vol_04, vol_05, vol_06, ...",
        ),
        (csv_for([*ALL_IDS, "xyz_01"]), "hrs wording line 74: unknown item id 'xyz_01'"),
        (csv_for([*ALL_IDS, "som_01"]), "hrs wording line 74: item id 'som_01' given twice"),
        (
            csv_for(ALL_IDS).replace('"Wording of aff_01, as licensed"', '" "'),
            "line 15: expected the wording of 'aff_01', got nothing",
        ),
        (
            csv_for(ALL_IDS).replace("item_id,text", "id,wording"),
            "hrs wording line 1: expected header item_id,text, got id,wording",
        ),
        ("", "expected header item_id,text, got "),
        (csv_for(ALL_IDS) + "som_01,a,b\n", "line 74: expected 2 columns (item_id,text), got 3"),
    ],
)
def test_it_refuses_an_incomplete_or_wrong_file(text: str, message: str) -> None:
    with pytest.raises(ProtocolError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_wording(text, hrs())


def test_it_loads_questionnaire_wording_and_refuses_other_kinds() -> None:
    q = parse_instrument(
        {
            "id": "q",
            "kind": "questionnaire",
            "label": "Q",
            "score": "mean",
            "items": [{"id": "a", "label": "A", "min": 0, "max": 4}],
        }
    )
    assert load_wording("item_id,text\na,Full text\n", q) == {"a": "Full text"}
    vas = parse_instrument(
        {"id": "v", "kind": "vas", "label": "V", "min_label": "a", "max_label": "b"}
    )
    with pytest.raises(
        ProtocolError, match="v: expected an hrs or questionnaire instrument, got vas"
    ):
        load_wording("item_id,text\n", vas)


def test_it_scores_the_same_with_or_without_wording() -> None:
    defn = hrs()
    answers = {item_id: n % 5 for n, item_id in enumerate(ALL_IDS)}
    before = score(defn, answers)
    load_wording(csv_for(ALL_IDS), defn)
    assert score(defn, answers) == before
