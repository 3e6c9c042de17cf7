"""Word lists for the rule-based entity extractor (used when no spaCy model
is installed): countries and a few regions, nationalities, months and days,
organisation suffixes, person titles. Hand-made; small on purpose."""

from __future__ import annotations


def word_set(block: str) -> frozenset[str]:
    """A word list written one or many to a line, ``|``-separated where names
    have spaces."""
    sep = "|" if "|" in block else None
    return frozenset(w.strip() for w in block.replace("\n", sep or " ").split(sep) if w.strip())


# Continents and regions: places, labelled LOC rather than GPE.
REGIONS = word_set("""
Europe|Africa|Asia|Antarctica|Middle East|Latin America|Korean Peninsula|Northeast Asia
Southeast Asia|Gaza|West Bank|Crimea|Siberia|Kashmir|Tibet|Xinjiang|Balkans|Caribbean
Scandinavia
""")

# Countries, and the regions named like them.
COUNTRIES = word_set("""
Afghanistan|Albania|Algeria|Andorra|Angola|Argentina|Armenia|Australia|Austria|Azerbaijan
Bahamas|Bahrain|Bangladesh|Barbados|Belarus|Belgium|Belize|Benin|Bhutan|Bolivia|Bosnia
Botswana|Brazil|Brunei|Bulgaria|Burkina Faso|Burundi|Cambodia|Cameroon|Canada|Chad|Chile
China|Colombia|Comoros|Congo|Costa Rica|Croatia|Cuba|Cyprus|Czech Republic|Czechia|Denmark
Djibouti|Dominica|Dominican Republic|East Timor|Ecuador|Egypt|El Salvador|England|Eritrea
Estonia|Eswatini|Ethiopia|Fiji|Finland|France|Gabon|Gambia|Georgia|Germany|Ghana|Greece
Grenada|Guatemala|Guinea|Guyana|Haiti|Honduras|Hong Kong|Hungary|Iceland|India|Indonesia|Iran
Iraq|Ireland|Israel|Italy|Ivory Coast|Jamaica|Japan|Jordan|Kazakhstan|Kenya|Kiribati|Kosovo
Kuwait|Kyrgyzstan|Laos|Latvia|Lebanon|Lesotho|Liberia|Libya|Liechtenstein|Lithuania
Luxembourg|Macau|Madagascar|Malawi|Malaysia|Maldives|Mali|Malta|Mauritania|Mauritius|Mexico
Moldova|Monaco|Mongolia|Montenegro|Morocco|Mozambique|Myanmar|Burma|Namibia|Nauru|Nepal
Netherlands|New Zealand|Nicaragua|Niger|Nigeria|North Korea|North Macedonia|Norway|Oman
Pakistan|Palau|Palestine|Panama|Papua New Guinea|Paraguay|Peru|Philippines|Poland|Portugal
Qatar|Romania|Russia|Rwanda|Samoa|San Marino|Saudi Arabia|Scotland|Senegal|Serbia|Seychelles
Sierra Leone|Singapore|Slovakia|Slovenia|Somalia|South Africa|South Korea|South Sudan|Spain
Sri Lanka|Sudan|Suriname|Sweden|Switzerland|Syria|Taiwan|Tajikistan|Tanzania|Thailand|Togo
Tonga|Trinidad|Tunisia|Turkey|Türkiye|Turkmenistan|Tuvalu|Uganda|Ukraine|United Arab Emirates
United Kingdom|United States|America|Britain|Great Britain|Uruguay|Uzbekistan|Vanuatu
Vatican|Venezuela|Vietnam|Wales|Yemen|Zambia|Zimbabwe|U.S.|US|USA|U.S.A.|U.K.|UK
""") | REGIONS

NATIONALITIES = word_set("""
Afghan|Albanian|Algerian|American|Argentine|Argentinian|Armenian|Australian|Austrian
Bangladeshi|Belarusian|Belgian|Bolivian|Brazilian|British|Bulgarian|Cambodian|Canadian
Chilean|Chinese|Colombian|Croatian|Cuban|Czech|Danish|Dutch|Egyptian|English|Estonian
Ethiopian|European|Filipino|Finnish|French|Georgian|German|Greek|Hungarian|Icelandic|Indian
Indonesian|Iranian|Iraqi|Irish|Israeli|Italian|Japanese|Jordanian|Kazakh|Kenyan|Korean
Kuwaiti|Latvian|Lebanese|Libyan|Lithuanian|Malaysian|Mexican|Mongolian|Moroccan|Nepalese
Nigerian|Norwegian|Pakistani|Palestinian|Peruvian|Polish|Portuguese|Qatari|Romanian|Russian
Saudi|Scottish|Serbian|Singaporean|Slovak|Somali|Soviet|Spanish|Sudanese|Swedish|Swiss
Syrian|Taiwanese|Thai|Tibetan|Turkish|Ugandan|Ukrainian|Venezuelan|Vietnamese|Welsh
Western|Asian|African|Arab|Latino|Muslim|Christian|Jewish|Catholic|Protestant|Buddhist
Hindu|Sunni|Shia|Democrat|Democrats|Republican|Republicans|Communist|Communists
""")

MONTHS = ("January|February|March|April|May|June|July|August|September|October|November"
          "|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec")
WEEKDAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"

# The last word of a company's name ("Acme Holdings Inc", "Tarrow SpA").
COMPANY_SUFFIXES = word_set("Inc Corp Co Ltd Plc PLC plc SpA SA AG NV GmbH Group Holdings LLC "
                            "Bhd Berhad AB ASA Oyj KK Limited Corporation Company")

# A capitalised name ending in one of these names an organisation.
ORG_SUFFIXES = word_set("""
University|College|Institute|Institution|Center|Centre|School|Academy|Foundation|Fund
Association|Society|Council|Committee|Commission|Ministry|Department|Agency|Bureau|Office
Administration|Authority|Service|Services|Party|Parliament|Congress|Senate|Assembly|Court
Bank|Partners|Union|Federation|League|Organization|Organisation|Army|Navy|Force|Forces
Police|Guard|Times|News|Post|Journal|Herald|Tribune|Gazette|Press|Network|Television|Radio
Club|Team|Church
""") | COMPANY_SUFFIXES

# Words before a name that say the name is a person's.
PERSON_TITLES = word_set("""
Mr|Mrs|Ms|Miss|Dr|Prof|Professor|Sir|Dame|Lord|Lady|President|Premier|Chancellor|Minister
Secretary|Senator|Sen|Rep|Representative|Governor|Gov|Mayor|Judge|Justice|General|Gen
Colonel|Col|Captain|Capt|Lieutenant|Lt|Sergeant|Sgt|Admiral|Commander|King|Queen|Prince
Princess|Pope|Bishop|Rev|Chairman|Chairwoman|Chair|Director|Ambassador|Leader|Spokesman
Spokeswoman|Spokesperson|Commentator|Analyst|Professor|Lecturer|Editor|Officer
""")

CITIES = word_set("""
Beijing|Moscow|Pyongyang|Seoul|Tokyo|Washington|London|Paris|Berlin|Kyiv|Kiev|New York
Shanghai|Taipei|Delhi|New Delhi|Mumbai|Brussels|Geneva|Jerusalem|Tehran|Baghdad|Damascus
Kabul|Islamabad|Cairo|Istanbul|Ankara|Rome|Madrid|Ottawa|Canberra|Sydney|Melbourne
Los Angeles|Chicago|San Francisco|Boston|Hanoi|Bangkok|Manila|Jakarta|Dubai|Riyadh|Doha
Nairobi|Lagos|Johannesburg|Mexico City|Brasilia|Buenos Aires|Warsaw|Vienna|Prague
Budapest|Athens|Lisbon|Dublin|Edinburgh|Glasgow|Manchester|Liverpool|Birmingham|Stockholm
Oslo|Copenhagen|Helsinki|Minsk|Tbilisi|Yerevan|Baku|Kharkiv|Odesa|Odessa|Gaza City
Tel Aviv|Beirut|Amman|Kuala Lumpur|Osaka|Shenzhen|Guangzhou|Wuhan|Tianjin|Vladivostok
St Petersburg|Frankfurt|Munich|Milan|Barcelona|Amsterdam|Zurich|Toronto|Vancouver
Montreal|Westminster|Whitehall|Brussels|Strasbourg|Davos|Hollywood|Silicon Valley
""")

# The last word of a name that makes it an event or a law.
EVENT_SUFFIXES = word_set("War Wars Summit Games Olympics Cup Championship Championships "
                          "Revolution Crisis Festival Awards Election Elections Conference")
LAW_SUFFIXES = word_set("Treaty Act Accord Accords Agreement Pact Convention Bill Charter")

# Roles in a sports club, in lower case: the players' positions and the
# staff. One list: the entity cues derive theirs from it ("Kilbride's striker",
# "Kilbride coach Ann Cole"), and TITLE_WORDS its title words ("Coach").
PLAYER_ROLES = word_set("striker midfielder defender goalkeeper keeper winger full-back "
                        "centre-back")
CLUB_STAFF = word_set("captain skipper coach manager")
SPORTS_ROLES = PLAYER_ROLES | CLUB_STAFF

# Words of a title or an office: never a name on their own ("Shadow", "State",
# "Sen"), and not part of a person's name before it ("Rep. Paul Ryan" is Paul
# Ryan). The person titles and the words that build offices out of them.
TITLE_WORDS = PERSON_TITLES | word_set("""
Mx|Madam|Sen|Rep|Reps|Sens|Assemblyman|Assemblywoman|Congressman|Congresswoman|Councillor
Councilman|Councilwoman|Alderman|MP|MEP|MSP|Baroness|Baron|Earl|Duke|Duchess|Viscount
Shadow|State|Deputy|Vice|Acting|Interim|Former|Prime|Foreign|Home|Attorney|Solicitor
Attorney-General|Attorney-in-Chief|Chief|Executive|Minister|Ministers|Secretary-General
Undersecretary|Under-Secretary|Commissioner|Inspector|Superintendent|Constable|Detective
Chief-Executive
Sheikh|Emir|Ayatollah|Cardinal|Archbishop|Father|Sister|Brother|Rabbi|Imam|Saint
""") | {w.capitalize() for w in SPORTS_ROLES}

# A country that is also a common first name or surname: not relabelled a
# place on its own.
NAME_LIKE_COUNTRIES = word_set("Chad|Jordan|Georgia|Israel|America|Trinidad")

# Title words that are also surnames ("Ms King", "Mara King"): one alone may
# be a person's name, so it is not dropped as a bare title.
SURNAME_TITLES = word_set("""
King|Lord|Lady|Bishop|Judge|Prince|Queen|Pope|Earl|Duke|Baron|Father|Brother|Sister|Saint
Dean|Marshal|Major|Cardinal|Chancellor|Sheikh|Emir|Justice|Coach|Manager|Captain|Leader
Constable|Chair|Chairman|Officer|Inspector|Mayor|General|Governor|Director|Editor
""")

# Titles that go with a given name ("Prince Aldric", "Pope Linus", "Lord
# Halvard" is how each is named): kept at the front of a person's name, where
# other titles are stripped ("Senator Ada Pike" is Ada Pike).
NAME_TITLES = word_set("""
Prince|Princess|King|Queen|Pope|Lord|Lady|Sir|Dame|Duke|Duchess|Earl|Baron|Baroness|Viscount
Emperor|Empress|Sheikh|Emir|Saint|Father|Brother|Sister|Cardinal|Ayatollah|Imam
""")

# Verbs of speech, as regex alternatives. SPEECH_VERBS: every verb that
# attributes a quote (the list index/quotes.py attributes quotes with; it lives
# here so that entities can use it without importing quotes, which imports
# entities). SAID_VERBS: the ones that most surely follow or precede a
# person's name in news copy ("Ada Pike said", "told Ada Pike").
SAID_VERBS = "said|says|told"
SPEECH_VERBS = (r"said|says|say|saying|told|tells|telling|added|adds|adding|asked|asks|explained"
                r"|explains|stated|states|wrote|writes|noted|notes|argued|argues|insisted|insists"
                r"|warned|warns|continued|recalled|replied|answered|acknowledged|admitted|claimed"
                r"|claims|declared|emphasized|emphasised|stressed|suggested|observed|remarked"
                r"|commented|posted|tweeted|pointed out|called|calls|calling|referred to"
                r"|according to")
