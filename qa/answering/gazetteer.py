"""Names of the world's countries (UN members and observers, and other names news uses for them),
of the US states, and of companies the small NER model mislabels.

"Which country" is answered by a country and "which state" by a state, while spaCy labels cities
and regions GPE as well, and misses a place inside a longer name ("the Illinois Lottery"). Names
are normalised as `qa.text.nlp.normalize_text` writes them (lower case, no punctuation, no "the").

Usage:
    "philippines" in COUNTRIES
    [m.span() for m in US_STATE_MENTIONS.finditer("sold in Des Plaines, according to the Illinois Lottery")]
"""

from __future__ import annotations

import re

COUNTRIES = frozenset(
    {
        "afghanistan",
        "albania",
        "algeria",
        "andorra",
        "angola",
        "antigua and barbuda",
        "argentina",
        "armenia",
        "australia",
        "austria",
        "azerbaijan",
        "bahamas",
        "bahrain",
        "bangladesh",
        "barbados",
        "belarus",
        "belgium",
        "belize",
        "benin",
        "bhutan",
        "bolivia",
        "bosnia and herzegovina",
        "bosnia",
        "botswana",
        "brazil",
        "brunei",
        "bulgaria",
        "burkina faso",
        "burundi",
        "cabo verde",
        "cape verde",
        "cambodia",
        "cameroon",
        "canada",
        "central african republic",
        "chad",
        "chile",
        "china",
        "colombia",
        "comoros",
        "congo",
        "democratic republic of congo",
        "drc",
        "costa rica",
        "cote d ivoire",
        "ivory coast",
        "croatia",
        "cuba",
        "cyprus",
        "czech republic",
        "czechia",
        "denmark",
        "djibouti",
        "dominica",
        "dominican republic",
        "ecuador",
        "egypt",
        "el salvador",
        "equatorial guinea",
        "eritrea",
        "estonia",
        "eswatini",
        "ethiopia",
        "fiji",
        "finland",
        "france",
        "gabon",
        "gambia",
        "georgia",
        "germany",
        "ghana",
        "greece",
        "grenada",
        "guatemala",
        "guinea",
        "guinea bissau",
        "guyana",
        "haiti",
        "honduras",
        "hungary",
        "iceland",
        "india",
        "indonesia",
        "iran",
        "iraq",
        "ireland",
        "israel",
        "italy",
        "jamaica",
        "japan",
        "jordan",
        "kazakhstan",
        "kenya",
        "kiribati",
        "kosovo",
        "kuwait",
        "kyrgyzstan",
        "laos",
        "latvia",
        "lebanon",
        "lesotho",
        "liberia",
        "libya",
        "liechtenstein",
        "lithuania",
        "luxembourg",
        "madagascar",
        "malawi",
        "malaysia",
        "maldives",
        "mali",
        "malta",
        "marshall islands",
        "mauritania",
        "mauritius",
        "mexico",
        "micronesia",
        "moldova",
        "monaco",
        "mongolia",
        "montenegro",
        "morocco",
        "mozambique",
        "myanmar",
        "burma",
        "namibia",
        "nauru",
        "nepal",
        "netherlands",
        "holland",
        "new zealand",
        "nicaragua",
        "niger",
        "nigeria",
        "north korea",
        "north macedonia",
        "norway",
        "oman",
        "pakistan",
        "palau",
        "palestine",
        "panama",
        "papua new guinea",
        "paraguay",
        "peru",
        "philippines",
        "poland",
        "portugal",
        "qatar",
        "romania",
        "russia",
        "rwanda",
        "saint kitts and nevis",
        "saint lucia",
        "saint vincent and grenadines",
        "samoa",
        "san marino",
        "sao tome and principe",
        "saudi arabia",
        "senegal",
        "serbia",
        "seychelles",
        "sierra leone",
        "singapore",
        "slovakia",
        "slovenia",
        "solomon islands",
        "somalia",
        "south africa",
        "south korea",
        "korea",
        "south sudan",
        "spain",
        "sri lanka",
        "sudan",
        "suriname",
        "sweden",
        "switzerland",
        "syria",
        "taiwan",
        "tajikistan",
        "tanzania",
        "thailand",
        "timor leste",
        "east timor",
        "togo",
        "tonga",
        "trinidad and tobago",
        "tunisia",
        "turkey",
        "turkiye",
        "turkmenistan",
        "tuvalu",
        "uganda",
        "ukraine",
        "united arab emirates",
        "uae",
        "united kingdom",
        "uk",
        "britain",
        "great britain",
        "england",
        "scotland",
        "wales",
        "northern ireland",
        "united states",
        "us",
        "u s",
        "usa",
        "america",
        "uruguay",
        "uzbekistan",
        "vanuatu",
        "vatican city",
        "vatican",
        "venezuela",
        "vietnam",
        "yemen",
        "zambia",
        "zimbabwe",
    }
)

US_STATES = frozenset(
    """alabama alaska arizona arkansas california colorado connecticut delaware florida georgia hawaii
    idaho illinois indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan
    minnesota mississippi missouri montana nebraska nevada ohio oklahoma oregon pennsylvania
    tennessee texas utah vermont virginia washington wisconsin wyoming""".split()  # noqa: SIM905 - a word list reads better as text
) | {
    "new hampshire",
    "new jersey",
    "new mexico",
    "new york",
    "north carolina",
    "north dakota",
    "rhode island",
    "south carolina",
    "south dakota",
    "west virginia",
}


_SOUTH_AMERICA = frozenset(
    """argentina bolivia brazil chile colombia ecuador guyana paraguay peru suriname uruguay
    venezuela""".split()  # noqa: SIM905 - a word list reads better as text
)
_MIDDLE_EAST = frozenset(
    """bahrain cyprus egypt iran iraq israel jordan kuwait lebanon oman palestine qatar syria turkey
    turkiye uae yemen""".split()  # noqa: SIM905 - a word list reads better as text
) | {"saudi arabia", "united arab emirates"}
# "Which European nation ...": the countries each region's adjective admits, as COUNTRIES writes
# them; countries that span two regions are in both.
REGIONS: dict[str, frozenset[str]] = {
    "european": frozenset(
        """albania andorra armenia austria azerbaijan belarus belgium bosnia bulgaria croatia cyprus czechia
        denmark estonia finland france georgia germany greece holland hungary iceland ireland italy kosovo
        latvia liechtenstein lithuania luxembourg malta moldova monaco montenegro netherlands norway poland
        portugal romania russia serbia slovakia slovenia spain sweden switzerland turkey turkiye ukraine uk
        britain england scotland wales vatican""".split()  # noqa: SIM905 - a word list reads better as text
    )
    | {"bosnia and herzegovina", "czech republic", "north macedonia", "san marino", "united kingdom"}
    | {"great britain", "northern ireland", "vatican city"},
    "african": frozenset(
        """algeria angola benin botswana burundi cameroon chad comoros congo drc djibouti egypt eritrea
        eswatini ethiopia gabon gambia ghana guinea kenya lesotho liberia libya madagascar malawi mali
        mauritania mauritius morocco mozambique namibia niger nigeria rwanda senegal seychelles somalia
        sudan tanzania togo tunisia uganda zambia zimbabwe""".split()  # noqa: SIM905 - a word list reads better as text
    )
    | {"burkina faso", "cabo verde", "cape verde", "central african republic", "democratic republic of congo"}
    | {"cote d ivoire", "ivory coast", "equatorial guinea", "guinea bissau", "sao tome and principe"}
    | {"sierra leone", "south africa", "south sudan"},
    "asian": frozenset(
        """afghanistan armenia azerbaijan bahrain bangladesh bhutan brunei cambodia china cyprus georgia india
        indonesia iran iraq israel japan jordan kazakhstan korea kuwait kyrgyzstan laos lebanon malaysia
        maldives mongolia myanmar burma nepal oman pakistan palestine philippines qatar russia singapore syria
        taiwan tajikistan thailand turkey turkiye turkmenistan uae uzbekistan vietnam yemen""".split()  # noqa: SIM905 - a word list reads better as text
    )
    | {"north korea", "south korea", "saudi arabia", "sri lanka", "timor leste", "east timor"}
    | {"united arab emirates"},
    "south american": _SOUTH_AMERICA,
    "latin american": _SOUTH_AMERICA
    | frozenset(
        """mexico guatemala belize honduras nicaragua panama cuba haiti""".split()  # noqa: SIM905 - a word list reads better as text
    )
    | {"el salvador", "costa rica", "dominican republic"},
    "middle eastern": _MIDDLE_EAST,
}


def _mention_pattern(names: frozenset[str]) -> re.Pattern[str]:
    """Capitalised mentions of `names` ("Antigua and Barbuda"); longest first, so "West Virginia" is
    not read as "Virginia". Names of under four letters ("us", "u s") are left to the tagger."""
    titled = {" ".join(w if w == "and" else w.capitalize() for w in n.split()) for n in names if len(n) >= 4}
    alternatives = "|".join(re.escape(t) for t in sorted(titled, key=len, reverse=True))
    return re.compile(rf"\b(?:{alternatives})\b")


COUNTRY_MENTIONS = _mention_pattern(COUNTRIES)
US_STATE_MENTIONS = _mention_pattern(US_STATES)
