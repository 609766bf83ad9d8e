"""Small German fixture articles written for the tests (not real news)."""

from __future__ import annotations

from rag.schema import Article

BAHN_TEXT = (
    "Die Bahn erhöht ab Dezember die Preise im Fernverkehr um durchschnittlich 4,9 Prozent. "
    "Das teilte der Konzern am Montag in Berlin mit.\n\n"
    "Tarifstreit\n\n"
    "Die Gewerkschaft GDL kündigte unterdessen neue Streiks an. Sie fordert eine Arbeitszeit von 35 Stunden "
    "bei vollem Lohnausgleich. Der Vorstand lehnt das ab und bietet eine Einmalzahlung von 2.000 Euro an.\n\n"
    "Pünktlichkeit\n\n"
    "Im vergangenen Jahr waren nur 64 Prozent der Fernzüge pünktlich. Als Grund nennt die Bahn das marode "
    "Schienennetz, das bis 2030 saniert werden soll."
)

WEIN_TEXT = (
    "Die Weinlese in der Wachau fiel in diesem Jahr deutlich kleiner aus als erwartet. Hagel im Juli hatte "
    "große Teile der Rieden beschädigt.\n\n"
    "Die Winzer rechnen dennoch mit einer hohen Qualität, vor allem beim Grünen Veltliner. Der Preis pro "
    "Flasche werde um etwa einen Euro steigen, sagte der Obmann der Vinea Wachau."
)

MARS_TEXT = (
    "Die Raumsonde Perseverance hat auf dem Mars Spuren von organischen Molekülen gefunden. Die Proben stammen "
    "aus dem Jezero-Krater, einem ehemaligen See.\n\n"
    "Die Nasa will die Proben in den 2030er-Jahren zur Erde bringen lassen. Die Kosten der Mission werden auf "
    "elf Milliarden Dollar geschätzt."
)


def bahn(text: str = BAHN_TEXT, **kw: object) -> Article:
    fields = {"id": "bahn-preise", "title": "Bahn erhöht die Preise", "text": text, "source": "Testblatt",
              "published": "2023-10-02", "subheadings": _headings(text, "Tarifstreit", "Pünktlichkeit")}
    fields.update(kw)
    return Article(**fields)  # type: ignore[arg-type]


def wein(**kw: object) -> Article:
    fields = {"id": "wachau-wein", "title": "Kleine Ernte in der Wachau", "text": WEIN_TEXT,
              "source": "Weinpost", "published": "2021-09-30"}
    fields.update(kw)
    return Article(**fields)  # type: ignore[arg-type]


def mars(**kw: object) -> Article:
    fields = {"id": "mars-proben", "title": "Organische Moleküle auf dem Mars", "text": MARS_TEXT,
              "source": "Testblatt", "published": "2024-03-15"}
    fields.update(kw)
    return Article(**fields)  # type: ignore[arg-type]


def _headings(text: str, *headings: str) -> tuple[tuple[int, str], ...]:
    return tuple((text.index(h + "\n"), h) for h in headings if h + "\n" in text)
