"""Dutch by default, English on request: a dictionary keyed by the English text.

The templates and messages are written in English and wrapped in ``_()``; ``DUTCH`` holds the
translation. A missing Dutch entry shows the English text (a test lists them), so the UI never
breaks over a translation. The choice is kept in the session (``/lang/en``, ``/lang/nl``).
"""

from __future__ import annotations

from flask import current_app, g, session

LANGUAGES = {"nl": "Nederlands", "en": "English"}

DUTCH: dict[str, str] = {
    # layout and navigation
    "Route planner for the buurtassistent": "Routeplanner voor de buurtassistent",
    "Skip to content": "Naar de inhoud",
    "Menu": "Menu",
    "Log in": "Inloggen",
    "Log out": "Uitloggen",
    "Logged in as {name}": "Ingelogd als {name}",
    "Username": "Gebruikersnaam",
    "Password": "Wachtwoord",
    "Wrong username or password.": "Onjuiste gebruikersnaam of wachtwoord.",
    "Too many failed attempts; try again in {seconds} seconds.":
        "Te veel mislukte pogingen; probeer het over {seconds} seconden opnieuw.",
    "This account has been deactivated.": "Dit account is uitgeschakeld.",
    "Please log in to continue.": "Log in om verder te gaan.",
    "You have been logged out.": "U bent uitgelogd.",
    "Welcome": "Welkom",
    "Demo area": "Demogebied",
    "This is a demo on map data of {title}; it is not the real service area.":
        "Dit is een demo op kaartgegevens van {title}; het is niet het echte werkgebied.",
    "Area": "Gebied",
    "Language": "Taal",
    "Page not found": "Pagina niet gevonden",
    "You do not have access to this page.": "U heeft geen toegang tot deze pagina.",
    "No access": "Geen toegang",
    "The form has expired; please try again.": "Het formulier is verlopen; probeer het opnieuw.",
    "Someone else changed this at the same time; please try again.":
        "Iemand anders wijzigde dit tegelijk; probeer het opnieuw.",
    "The database refused a value in this request.":
        "De database weigerde een waarde in dit verzoek.",
    "Something is wrong with the request.": "Er klopt iets niet aan het verzoek.",
    "Back": "Terug",
    "Save": "Opslaan",
    "Cancel": "Annuleren",
    "Partner": "Partner",
    "Coordinator": "Coördinator",
    "Assistant": "Assistent",
    # partner pages
    "Orders": "Bestellingen",
    "New order": "Nieuwe bestelling",
    "Edit order": "Bestelling wijzigen",
    "Upload CSV": "CSV uploaden",
    "API tokens": "API-sleutels",
    "Cooperative": "Coöperatie",
    # the service admin's pages
    "Organisations": "Organisaties",
    "The cooperatives on this service. You see no residents, orders or rounds: only their names and how many people log in.":
        "De coöperaties op deze dienst. U ziet geen bewoners, bestellingen of rondes: alleen hun namen en hoeveel mensen inloggen.",
    "{org} is added. Hand this first login to its coordinator; the password is shown only now.":
        "{org} is toegevoegd. Geef deze eerste login aan de coördinator; het wachtwoord wordt alleen nu getoond.",
    "Short name": "Korte naam",
    "Time zone": "Tijdzone",
    "Logins": "Logins",
    "active": "actief",
    "switched off": "uitgeschakeld",
    "Switch off": "Uitschakelen",
    "Switch on": "Inschakelen",
    "No organisations yet.": "Nog geen organisaties.",
    "New organisation": "Nieuwe organisatie",
    "Lowercase letters, digits and dashes, e.g. utrecht-oost. Partners name it in the API.":
        "Kleine letters, cijfers en streepjes, bijv. utrecht-oost. Partners noemen hem in de API.",
    "Username of its first coordinator": "Gebruikersnaam van de eerste coördinator",
    "Add organisation": "Organisatie toevoegen",
    "Partners serving several cooperatives": "Partners die meer coöperaties bedienen",
    "serves": "bedient",
    "Link": "Koppelen",
    "no cooperative": "geen coöperatie",
    "not an area of this service": "geen gebied van deze dienst",
    "plain printable text without spaces, at most 80 characters":
        "gewone tekst zonder spaties, hoogstens 80 tekens",
    "a username is needed": "een gebruikersnaam is nodig",
    "is already taken": "is al in gebruik",
    "{name} is switched on.": "{name} is ingeschakeld.",
    "{name} is switched off.": "{name} is uitgeschakeld.",
    "{partner} serves {org}.": "{partner} bedient {org}.",
    "{partner} no longer serves {org}.": "{partner} bedient {org} niet meer.",
    "3 to 40 lowercase letters, digits and dashes": "3 tot 40 kleine letters, cijfers en streepjes",
    "1 to 120 characters": "1 tot 120 tekens",
    "not a time zone (e.g. Europe/Amsterdam)": "geen tijdzone (bijv. Europe/Amsterdam)",
    "Switch": "Wissel",
    "Orders of {partner}": "Bestellingen van {partner}",
    "Day": "Dag",
    "Show": "Toon",
    "No orders for this day.": "Geen bestellingen voor deze dag.",
    "Order": "Bestelling",
    "Recipient": "Ontvanger",
    "Name or initials": "Naam of initialen",
    "Address": "Adres",
    "Street, house number (postcode optional)": "Straat en huisnummer (postcode mag erbij)",
    "Phone": "Telefoon",
    "Only if the assistant must call ahead.": "Alleen als de assistent vooraf moet bellen.",
    "Kind": "Soort",
    "Date": "Datum",
    "Time window": "Tijdvak",
    "Second time window": "Tweede tijdvak",
    "from": "van",
    "until": "tot",
    "Leave empty if any time of the day is fine.": "Leeg laten als elk moment van de dag kan.",
    "Pickup place": "Ophaalplek",
    "Empty: {place}": "Leeg: {place}",
    "Ready at": "Klaar om",
    "Praatje (minutes)": "Praatje (minuten)",
    "Empty: the resident's usual praatje.": "Leeg: het gebruikelijke praatje van de bewoner.",
    "Size": "Omvang",
    "Number of bags, meals or parcels.": "Aantal tassen, maaltijden of pakketten.",
    "Priority": "Prioriteit",
    "normal": "normaal",
    "high": "hoog",
    "urgent": "spoed",
    "Hot meal": "Warme maaltijd",
    "Hand over in person": "Persoonlijk overhandigen",
    "in person only: not to a neighbour, not through the letterbox":
        "alleen persoonlijk: niet bij de buren, niet door de brievenbus",
    "Note": "Notitie",
    "Never write medicine names here: route sheets say \"apotheekpakket\".":
        "Schrijf hier nooit namen van medicijnen: op de routelijst staat \"apotheekpakket\".",
    "Your reference": "Uw kenmerk",
    "Status": "Status",
    "History": "Geschiedenis",
    "Change": "Wijzigen",
    "Cancel order": "Bestelling annuleren",
    "Order {id} saved.": "Bestelling {id} opgeslagen.",
    "Order {id} cancelled.": "Bestelling {id} geannuleerd.",
    "Please correct the marked fields.": "Verbeter de gemarkeerde velden.",
    "Checking address…": "Adres controleren…",
    "Address found: {address} ({buurt})": "Adres gevonden: {address} ({buurt})",
    "This order can no longer be changed: it is {status}.":
        "Deze bestelling kan niet meer worden gewijzigd: de status is {status}.",
    # kinds and statuses
    "medicine": "apotheekpakket",
    "meal": "maaltijd",
    "parcel": "pakket",
    "visit": "huisbezoek",
    "klusje": "klusje",
    "submitted": "aangemeld",
    "planned": "ingepland",
    "picked_up": "opgehaald",
    "delivered": "bezorgd",
    "not_home": "niet thuis",
    "returned": "teruggebracht",
    "cancelled": "geannuleerd",
    # coordinator
    "The day of {date}": "De dag van {date}",
    "{orders} orders, {cancelled} cancelled; {shifts} shifts, {hours} working hours.":
        "{orders} bestellingen, {cancelled} geannuleerd; {shifts} diensten, {hours} werkuren.",
    "Orders by buurt and kind": "Bestellingen per buurt en soort",
    "Buurt": "Buurt",
    "Total": "Totaal",
    "Shifts": "Diensten",
    "Shift": "Dienst",
    "Travels by": "Vervoer",
    "Break": "Pauze",
    "No shifts on this day.": "Geen diensten op deze dag.",
    "Add a shift": "Dienst toevoegen",
    "Start": "Begin",
    "End": "Einde",
    "Break (minutes)": "Pauze (minuten)",
    "Break from": "Pauze vanaf",
    "Shift added.": "Dienst toegevoegd.",
    "lies outside the shift": "ligt buiten de dienst",
    "walk": "lopend",
    "bike": "fiets",
    "cargo_bike": "bakfiets",
    # CSV
    "Upload a day's orders": "Bestellingen van een dag uploaden",
    "CSV file": "CSV-bestand",
    "Upload": "Uploaden",
    "One order per row; the first row names the columns.":
        "Eén bestelling per regel; de eerste regel noemt de kolommen.",
    "Download an example file": "Voorbeeldbestand downloaden",
    "Columns": "Kolommen",
    "{saved} orders saved, {failed} rows with errors (none of those were saved).":
        "{saved} bestellingen opgeslagen, {failed} regels met fouten (die zijn niet opgeslagen).",
    "Row": "Regel",
    "Field": "Veld",
    "Problem": "Probleem",
    "The file could not be read": "Het bestand kon niet worden gelezen",
    "Choose a CSV file.": "Kies een CSV-bestand.",
    # tokens
    "Tokens let your own software submit orders through the API at {url}.":
        "Met een sleutel kan uw eigen software bestellingen indienen via de API op {url}.",
    "Label": "Omschrijving",
    "Create token": "Sleutel maken",
    "Revoke": "Intrekken",
    "Created": "Gemaakt",
    "Last used": "Laatst gebruikt",
    "revoked": "ingetrokken",
    "never": "nooit",
    "New token (shown only now, copy it):": "Nieuwe sleutel (alleen nu zichtbaar, kopieer hem):",
    "Token revoked.": "Sleutel ingetrokken.",
    # validation messages
    "is required": "is verplicht",
    "is too long (at most {n} characters)": "is te lang (hoogstens {n} tekens)",
    "must be a date like 2025-03-14": "moet een datum zijn zoals 2025-03-14",
    "lies in the past": "ligt in het verleden",
    "lies more than {n} days ahead": "ligt meer dan {n} dagen vooruit",
    "must be a time like 09:30": "moet een tijd zijn zoals 09:30",
    "must be a time window like 11:30-12:30": "moet een tijdvak zijn zoals 11:30-12:30",
    "the window must end after it starts": "het tijdvak moet eindigen na het begin",
    "at most {n} time windows": "hoogstens {n} tijdvakken",
    "time windows overlap": "tijdvakken overlappen",
    "must be one of: {options}": "moet een van deze zijn: {options}",
    "a {partner_kind} cannot submit {kind} orders (allowed: {allowed})":
        "een {partner_kind} kan geen {kind} aanmelden (toegestaan: {allowed})",
    "must be a whole number": "moet een heel getal zijn",
    "must be between {low} and {high}": "moet tussen {low} en {high} liggen",
    "must be yes or no": "moet ja of nee zijn",
    "only a meal can be a hot meal": "alleen een maaltijd kan een warme maaltijd zijn",
    "a house call has no pickup place": "een huisbezoek heeft geen ophaalplek",
    "needs a pickup place": "heeft een ophaalplek nodig",
    "is later than the end of the last time window ({end})":
        "is later dan het einde van het laatste tijdvak ({end})",
    "looks like a medicine name or dose; never put medicines in notes":
        "lijkt op een medicijnnaam of dosis; zet nooit medicijnen in een notitie",
    "is not a phone number": "is geen telefoonnummer",
    "may only contain letters, digits and . _ - : /":
        "mag alleen letters, cijfers en . _ - : / bevatten",
    "is already used by order {id}": "is al gebruikt door bestelling {id}",
    "is already used in row {row}": "is al gebruikt in regel {row}",
    "unknown field": "onbekend veld",
    "must be text": "moet tekst zijn",
    "must be a list of time windows": "moet een lijst van tijdvakken zijn",
    "lies outside the buurten of {area}": "ligt buiten de buurten van {area}",
    "Did you mean: {candidates}?": "Bedoelt u: {candidates}?",
    "is not a known address in {area}": "is geen bekend adres in {area}",
    "unknown column; known columns: {known}": "onbekende kolom; bekende kolommen: {known}",
    "the row has more values than there are columns":
        "de regel heeft meer waarden dan er kolommen zijn",
    "the file is not UTF-8 text": "het bestand is geen UTF-8-tekst",
    "the file is empty": "het bestand is leeg",
    "the row could not be read: {reason}": "de regel kon niet worden gelezen: {reason}",
    "the file has more than {n} rows": "het bestand heeft meer dan {n} regels",
    "duplicate column": "dubbele kolom",
    # planning and rounds
    "Delivered": "Afgeleverd",
    "Not home": "Niet thuis",
    "My round": "Mijn ronde",
    "Round of {name}": "Ronde van {name}",
    "Rounds of {date}": "Rondes van {date}",
    "Stops of {name}": "Stops van {name}",
    "Stops in order": "Stops op volgorde",
    "Arrival": "Aankomst",
    "What": "Wat",
    "Where": "Waar",
    "Resident": "Bewoner",
    "Pick up": "Ophalen",
    "Hand over": "Afgeven",
    "wait": "wachten",
    "Directions to stop {n}": "Route naar stop {n}",
    "Print": "Afdrukken",
    "No plan for this day yet.": "Nog geen planning voor deze dag.",
    "No stops planned for you on this day yet.": "Voor u zijn op deze dag nog geen stops gepland.",
    "{stops} stops, {praatje} minutes of praatje, {travel} minutes travelling; back at {finish}.": "{stops} stops, {praatje} minuten praatje, {travel} minuten onderweg; terug om {finish}.",
    "Plan": "Planning",
    "Plan the day": "Plan de dag",
    "Plan again": "Opnieuw plannen",
    "The planner is working…": "De planner is bezig…",
    "Planning": "Planning",
    "The last planning run failed; the plan shown is the one before.": "De laatste planning is mislukt; de getoonde planning is de vorige.",
    "Plan {id} made {at}.": "Planning {id} gemaakt om {at}.",
    "Print all rounds (A4)": "Alle rondes afdrukken (A4)",
    "Workload": "Werklast",
    "Stops": "Stops",
    "Travel (minutes)": "Reistijd (minuten)",
    "Finish": "Klaar om",
    "Load": "Lading",
    "Unplanned orders": "Niet ingeplande bestellingen",
    "Reason": "Reden",
    "Every order is planned.": "Alle bestellingen zijn ingepland.",
    "Move or lock": "Verplaatsen of vastzetten",
    "locked": "vastgezet",
    "Lock": "Vastzetten",
    "Unlock": "Losmaken",
    "Planning started.": "De planning is gestart.",
    "Re-planning with the change.": "Er wordt opnieuw gepland met de wijziging.",
    "This stop is not in your round (any more).": "Deze stop zit (niet meer) in uw ronde.",
    "This stop was already marked.": "Deze stop was al afgemeld.",
    "Marked: {status}.": "Afgemeld: {status}.",
    # the live day: facts, runs, changes, undo, hand-over
    "Already recorded: {status}.": "Was al vastgelegd: {status}.",
    "Picked up": "Opgehaald",
    "picked_up": "opgehaald",
    "event_id": "Tik-nummer",
    "order_ids": "Stops",
    "order": "Bestelling",
    "Process the changes": "Wijzigingen verwerken",
    "Optimise the whole day again": "Hele dag opnieuw optimaliseren",
    "Undo the last change": "Laatste wijziging ongedaan maken",
    "There is no change to undo.": "Er is geen wijziging om ongedaan te maken.",
    "The last change is being undone.": "De laatste wijziging wordt ongedaan gemaakt.",
    "Changes (marks, late orders, moves) change only the rounds they touch. Optimising the whole day again may move any stop that has not happened yet.":
        "Wijzigingen (afmeldingen, late bestellingen, verplaatsingen) veranderen alleen de "
        "rondes die ze raken. De hele dag opnieuw optimaliseren kan elke stop verplaatsen die "
        "nog niet gebeurd is.",
    "The last planning run failed: {reason}.": "De laatste planning is mislukt: {reason}.",
    "The plan shown is the one before.": "Het plan hieronder is het vorige.",
    "What changed": "Wat is er veranderd",
    "from {a} to {b}": "van {a} naar {b}",
    "planned for {name} at {time}": "ingepland bij {name} om {time}",
    "no longer planned": "niet meer ingepland",
    "{n} stops more than 10 minutes earlier or later": "{n} stops meer dan 10 minuten eerder of later",
    "Nothing changed in the rounds.": "Er is niets veranderd in de rondes.",
    "On board; hand over to": "Aan boord; overdragen aan",
    "Hand over to": "Overdragen aan",
    "Handed over to {name}.": "Overgedragen aan {name}.",
    "is not locked": "is niet vastgezet",
    "move": "verplaatsing",
    "lock": "vastzetten",
    "unlock": "losmaken",
    "full": "hele dag optimaliseren",
    "Your round has changed": "Uw ronde is gewijzigd",
    "Show the new round": "Toon de nieuwe ronde",
    "What changed in your round": "Wat er in uw ronde veranderde",
    "Next stop": "Volgende stop",
    "Your recovery codes": "Uw herstelcodes",
    "Each code opens one login without the app, for when your phone is lost. Write them down or print them now and keep them safe: they are not shown again.":
        "Elke code opent één keer een login zonder de app, voor als uw telefoon kwijt is. "
        "Schrijf ze op of druk ze nu af en bewaar ze veilig: ze worden niet nog eens getoond.",
    "Recovery codes left: {n}.": "Herstelcodes over: {n}.",
    "Make new recovery codes": "Nieuwe herstelcodes maken",
    "Phone lost? Give one of your recovery codes (like abcde-fghjk) instead.":
        "Telefoon kwijt? Geef dan een van uw herstelcodes (zoals abcde-fghjk).",
    "{done} of {total} doors": "{done} van {total} deuren",
    "{n} not home": "{n} niet thuis",
    "Done": "Gedaan",
    "Navigate": "Navigeer",
    "Maps": "Kaarten",
    "Call": "Bel",
    "Undo": "Ongedaan maken",
    "Undone.": "Ongedaan gemaakt.",
    "Not sent yet (no connection): {n}": "Nog niet verstuurd (geen verbinding): {n}",
    "Not recorded: {reason}": "Niet vastgelegd: {reason}",
    "Every stop of this round is done.": "Alle stops van deze ronde zijn gedaan.",
    "Stop {n} of {total}": "Stop {n} van {total}",
    "{n} min behind schedule": "{n} min achter op schema",
    "{n} min ahead of schedule": "{n} min voor op schema",
    "on schedule": "op schema",
    "added to your round": "toegevoegd aan uw ronde",
    "no longer in your round": "niet meer in uw ronde",
    "Hand over goods": "Overdragen",
    "the planner was stopped at its hard time limit of {value} seconds":
        "de planner is gestopt op zijn harde tijdslimiet van {value} seconden",
    "the plan checker found {value} broken rule(s) in the result":
        "de plancontrole vond {value} overtreden regel(s) in het resultaat",
    "no plan was found within the time limit": "er is binnen de tijdslimiet geen plan gevonden",
    "the planning process stopped without a result": "het planproces stopte zonder resultaat",
    "an error in the planner ({value})": "een fout in de planner ({value})",
    "the worker running it stopped ({value})": "de verwerker die het uitvoerde stopte ({value})",
    "tried again": "wordt opnieuw geprobeerd",
    "not tried again": "niet opnieuw geprobeerd",
    # PDF route sheets
    "Leaves at {time}": "Vertrek om {time}",
    "Page {page} of {pages}": "Pagina {page} van {pages}",
    "Download all rounds as PDF": "Alle rondes als PDF downloaden",
    "Download this round as PDF": "Deze ronde als PDF downloaden",
    # residents, stop positions and stops that happened (coordinator and assistant)
    "Residents": "Bewoners",
    "The usual praatje and the regular assistant go into the next plan of every open order.":
        "Het gebruikelijke praatje en de vaste assistent gaan mee in de volgende planning van "
        "elke open bestelling.",
    "Filter residents": "Bewoners filteren",
    "All buurten": "Alle buurten",
    "Name or address": "Naam of adres",
    "{n} residents": "{n} bewoners",
    "Usual praatje": "Gebruikelijk praatje",
    "Usual praatje (minutes)": "Gebruikelijk praatje (minuten)",
    "Regular assistant": "Vaste assistent",
    "Open orders": "Open bestellingen",
    "{n} min": "{n} min",
    "default": "standaard",
    "No residents found.": "Geen bewoners gevonden.",
    "From {low} to {high} minutes. Empty: the default per kind ({defaults}). A partner may ask "
    "for longer on one order, never shorter.":
        "Van {low} tot {high} minuten. Leeg: de standaard per soort ({defaults}). Een partner "
        "kan voor één bestelling om een langer praatje vragen, nooit om een korter.",
    "The planner prefers this trusted face when the day allows.":
        "De planner kiest dit vertrouwde gezicht als de dag het toelaat.",
    "None": "Geen",
    "Only if the assistant must call ahead; partners never see it.":
        "Alleen als de assistent vooraf moet bellen; partners zien het nooit.",
    "Asked by the partner": "Gevraagd door de partner",
    "Praatje in the current plan": "Praatje in de huidige planning",
    "Praatje in the next plan": "Praatje in de volgende planning",
    "No open orders.": "Geen open bestellingen.",
    "{name} saved; the next plan uses it.": "{name} opgeslagen; de volgende planning gebruikt het.",
    "is not one of the assistants": "is geen van de assistenten",
    "as stop": "als stop",
    "As stop number": "Als stop nummer",
    "locked to {name}": "vastgezet bij {name}",
    "as stop {n}": "als stop {n}",
    "has no shift on this day": "heeft geen dienst op deze dag",
    "the first {n} stops of this round already happened":
        "de eerste {n} stops van deze ronde zijn al geweest",
    "its pickup comes first: choose {low} or later": "het ophalen komt eerst: kies {low} of later",
    "Move or lock: the stop goes to the chosen assistant; with a number it becomes that stop of "
    "the round (counting pickups, as numbered below); without one, the planner picks its place.":
        "Verplaatsen of vastzetten: de stop gaat naar de gekozen assistent; met een nummer wordt "
        "het die stop van de ronde (ophaalstops tellen mee, zoals hieronder genummerd); zonder "
        "nummer kiest de planner de plek.",
    "{status} at {time}": "{status} om {time}",
    "planned {time}": "gepland {time}",
    "Plan {date} again now": "{date} nu opnieuw plannen",
    # residents paging and search; labels of round cards on a phone
    "Name, street or buurt": "Naam, straat of buurt",
    "{first}–{last} of {total} residents": "{first}–{last} van {total} bewoners",
    "Pages of residents": "Pagina's met bewoners",
    "Previous": "Vorige",
    "Next": "Volgende",
    "The page number must be a whole number of 1 or more.":
        "Het paginanummer moet een heel getal van 1 of meer zijn.",
    "Stop": "Stop",
    "Praatje": "Praatje",
    # bringing back the goods of a not-at-home delivery
    "Returned": "Teruggebracht",
    "Bring back to {place}": "Terugbrengen naar {place}",
    "Take along: nobody at home": "Mee terug: niemand thuis",
    "to bring back": "terug te brengen",
    # input hygiene, limits and partner notes on route sheets (issue 13)
    "use the digits 0 to 9": "gebruik de cijfers 0 tot en met 9",
    "contains a character that is not valid text": "bevat een teken dat geen geldige tekst is",
    "the limit is {cap} orders a day per partner; {date} already has {count}":
        "de grens is {cap} orders per dag per partner; {date} heeft er al {count}",
    "the file has {count} rows, more than the {n} of one upload: nothing stored":
        "het bestand heeft {count} regels, meer dan de {n} van één upload: niets opgeslagen",
    "The file is too large": "Het bestand is te groot",
    "At most {n} MB can be sent at once; split the file.":
        "Er kan hoogstens {n} MB tegelijk worden verstuurd; splits het bestand.",
    "instructions from the pharmacy": "instructies van de apotheek",
    "instructions from the meal kitchen": "instructies van de maaltijdkeuken",
    "instructions from the parcel point": "instructies van het pakketpunt",
    "instructions from the cooperative": "instructies van de coöperatie",
    # two-step login (TOTP) for coordinators
    "code": "code",
    "Two-step login": "Inloggen in twee stappen",
    "The six-digit code of your authenticator app": "De zescijferige code van uw authenticator-app",
    "That code is not right; use the newest code of your app.":
        "Die code klopt niet; gebruik de nieuwste code van uw app.",
    "Two-step login is on.": "Inloggen in twee stappen staat aan.",
    "Two-step login is off.": "Inloggen in twee stappen staat uit.",
    "Two-step login is required for coordinators.":
        "Inloggen in twee stappen is verplicht voor coördinatoren.",
    "Password or code is not right.": "Wachtwoord of code klopt niet.",
    "Set up two-step login first.": "Stel eerst inloggen in twee stappen in.",
    "Two-step login is on: after your password you give the code of your authenticator app.":
        "Inloggen in twee stappen staat aan: na uw wachtwoord geeft u de code van uw "
        "authenticator-app.",
    "Switch two-step login off": "Inloggen in twee stappen uitzetten",
    "Add this key to your authenticator app, then enter the code it shows.":
        "Voeg deze sleutel toe aan uw authenticator-app en vul de code in die de app toont.",
    "Open in the authenticator app": "Openen in de authenticator-app",
    "Switch two-step login on": "Inloggen in twee stappen aanzetten",
    "With two-step login, a stolen password alone does not open the residents' data.":
        "Met inloggen in twee stappen is een gestolen wachtwoord alleen niet genoeg om de "
        "gegevens van de bewoners te openen.",
    "Set up two-step login": "Inloggen in twee stappen instellen",
    # privacy: access log, retention report, the resident's rights (issue 13)
    "A copy of everything stored about this resident (AVG article 15):":
        "Een kopie van alles wat over deze bewoner is opgeslagen (AVG artikel 15):",
    "Access log": "Toegangslog",
    "Access log of resident {id}": "Toegangslog van bewoner {id}",
    "Access log of user {name}": "Toegangslog van gebruiker {name}",
    "Access report": "Toegangsverslag",
    "Access report for the resident (PDF)": "Toegangsverslag voor de bewoner (PDF)",
    "Action": "Handeling",
    "By buurt": "Per buurt",
    "By kind and status": "Per soort en status",
    "Channel": "Kanaal",
    "Confirm: type the resident number {id} to erase.":
        "Bevestig: typ het bewonersnummer {id} om te wissen.",
    "Counts only: they stay the same after old orders are removed.":
        "Alleen aantallen: die blijven gelijk als oude bestellingen worden verwijderd.",
    "Details": "Details",
    "Erase resident": "Bewoner wissen",
    "Erase this resident (AVG article 17): their name, address, phone, orders and stops in "
    "plans are removed for good; only anonymous counts remain. Open orders must be delivered "
    "or cancelled first.":
        "Deze bewoner wissen (AVG artikel 17): naam, adres, telefoon, bestellingen en stops in "
        "planningen worden voorgoed verwijderd; alleen anonieme aantallen blijven. Open "
        "bestellingen moeten eerst bezorgd of geannuleerd zijn.",
    "Erasure refused: {reason}": "Wissen geweigerd: {reason}",
    "{n} open order(s) from today on ({ids}); they must be delivered or cancelled first":
        "{n} open bestelling(en) vanaf vandaag ({ids}); die moeten eerst bezorgd of "
        "geannuleerd zijn",
    "From": "Van",
    "there is no resident {id} (any more)": "er is geen bewoner {id} (meer)",
    "To": "Tot en met",
    "Name": "Naam",
    "No orders.": "Geen bestellingen.",
    "Nothing logged.": "Niets gelogd.",
    "On behalf of": "Namens",
    "Organisation": "Organisatie",
    "Part": "Deel",
    "Per user": "Per gebruiker",
    "Planned visits": "Geplande bezoeken",
    "Privacy: the resident's rights": "Privacy: de rechten van de bewoner",
    "Report": "Rapport",
    "Resident number": "Bewonersnummer",
    "Resident number: must be a whole number of 1 or more.":
        "Bewonersnummer: moet een heel getal van 1 of meer zijn.",
    "Resident {id} has been erased; only anonymous counts remain.":
        "Bewoner {id} is gewist; alleen anonieme aantallen blijven.",
    "Role": "Rol",
    "There is no resident with this number (any more): erased, or never stored.":
        "Er is geen bewoner (meer) met dit nummer: gewist, of nooit opgeslagen.",
    "Type the resident number {id} to confirm": "Typ ter bevestiging het bewonersnummer {id}",
    "When (UTC)": "Wanneer (UTC)",
    "Who": "Wie",
    "Who accessed the data of resident {id}, and when. Made on {at}.":
        "Wie de gegevens van bewoner {id} heeft ingezien of gewijzigd, en wanneer. Gemaakt op "
        "{at}.",
    "Who accessed your data": "Wie uw gegevens heeft ingezien",
    "Who looked at or changed which resident's data, when and in which role. Every reading "
    "of this log is logged as well.":
        "Wie welke gegevens van welke bewoner heeft ingezien of gewijzigd, wanneer en in welke "
        "rol. Elke keer dat dit log wordt gelezen, wordt ook gelogd.",
    "Your data at Buurtroute": "Uw gegevens bij Buurtroute",
    "at most {n} days at once": "hoogstens {n} dagen tegelijk",
    "must not be before the start": "mag niet voor het begin liggen",
    "{orders} orders, {minutes} minutes of praatje.":
        "{orders} bestellingen, {minutes} minuten praatje.",
    # roles and actions in the access log
    "coordinator": "coördinator",
    "assistant": "assistent",
    "partner": "partner",
    "privacy_officer": "privacyfunctionaris",
    "api": "API (partner)",
    "cli": "beheer (opdrachtregel)",
    "view": "ingezien",
    "create": "aangemaakt",
    "change": "gewijzigd",
    "export": "geëxporteerd",
    "print": "afgedrukt",
    "erase": "gewist",
    "log_view": "log gelezen",
    # at the door: safety alerts, signals, house calls, continuity, the pilot's report
    "Safety alerts": "Veiligheidsmeldingen",
    "Safety alert #{id}": "Veiligheidsmelding #{id}",
    "No open safety alerts.": "Geen open veiligheidsmeldingen.",
    "Not home twice in a row": "Twee keer achter elkaar niet thuis",
    "Buurtroute: not home": "Buurtroute: niet thuis",
    "Buurtroute: not home twice in a row": "Buurtroute: twee keer achter elkaar niet thuis",
    "Safety alert #{id}: nobody opened for the {what} in {buurt} at {time} on {date}. See the "
    "day screen: {url}":
        "Veiligheidsmelding #{id}: niemand deed open voor de {what} in {buurt} om {time} op "
        "{date}. Zie het dagscherm: {url}",
    "delivery": "levering",
    "A resident with a meal or medicine who does not open raises an alert; a second time in a "
    "row escalates it.":
        "Een bewoner met een maaltijd of medicijnen die niet opendoet geeft een melding; een "
        "tweede keer achter elkaar is dringender.",
    "Follow up and close": "Opvolgen en afsluiten",
    "Alerts by e-mail and SMS": "Meldingen per e-mail en sms",
    "Besides this screen, each alert is sent to these recipients. The message says only that a "
    "door stayed shut, the alert's number, buurt and time.":
        "Behalve op dit scherm gaat elke melding naar deze ontvangers. Het bericht zegt alleen "
        "dat een deur dicht bleef, met het nummer van de melding, de buurt en de tijd.",
    "This service has no mail server set up: e-mail is not sent.":
        "Deze dienst heeft geen mailserver ingesteld: er gaat geen e-mail uit.",
    "This service has no SMS gateway set up: SMS is not sent.":
        "Deze dienst heeft geen sms-dienst ingesteld: er gaat geen sms uit.",
    "E-mail addresses (comma-separated)": "E-mailadressen (met komma's ertussen)",
    "Phone numbers for SMS (comma-separated)": "Telefoonnummers voor sms (met komma's ertussen)",
    "Saved: alerts go to these recipients.": "Opgeslagen: meldingen gaan naar deze ontvangers.",
    "is not a list of e-mail addresses": "is geen lijst van e-mailadressen",
    "is not a list of phone numbers": "is geen lijst van telefoonnummers",
    "Contact person": "Contactpersoon",
    "Notified": "Bericht gestuurd",
    "Previous alert": "Vorige melding",
    "Recently closed": "Onlangs afgesloten",
    "Level": "Niveau",
    "alert": "melding",
    "escalated": "dringend (tweede keer)",
    "What was done": "Wat er is gedaan",
    "For example: neighbour called, in hospital": "Bijvoorbeeld: buurvrouw belde, in ziekenhuis",
    "Pause the resident's standing orders from today":
        "Vaste bestellingen van de bewoner vanaf vandaag pauzeren",
    "Paused until (empty: until lifted)": "Gepauzeerd tot en met (leeg: tot opgeheven)",
    "Close the alert": "Melding afsluiten",
    "Closed: {outcome}": "Afgesloten: {outcome}",
    "Alert #{id} closed.": "Melding #{id} afgesloten.",
    "After safety alert #{id}: {outcome}": "Na veiligheidsmelding #{id}: {outcome}",
    "Standing orders paused from {start} until {until}.":
        "Vaste bestellingen gepauzeerd van {start} tot en met {until}.",
    "further notice": "nader order",
    "is required: what was done?": "is verplicht: wat is er gedaan?",
    "must not be before today": "mag niet voor vandaag liggen",
    "contains characters that are not text": "bevat tekens die geen tekst zijn",
    "None yet.": "Nog geen.",
    "Signals": "Signalen",
    "Signal #{id}": "Signaal #{id}",
    "Signal #{id} saved.": "Signaal #{id} opgeslagen.",
    "No signals.": "Geen signalen.",
    "What the assistants noticed at the door or in the buurt. Observations, not diagnoses; "
    "never shown to partners.":
        "Wat de assistenten aan de deur of in de buurt opviel. Waarnemingen, geen diagnoses; "
        "nooit zichtbaar voor partners.",
    "Noticed": "Opgemerkt",
    "Category": "Soort",
    "Urgency": "Urgentie",
    "Follow-up": "Opvolging",
    "Notes": "Notities",
    "all": "alle",
    "By when": "Uiterlijk",
    "Assign the follow-up": "Opvolging toewijzen",
    "Add the note": "Notitie toevoegen",
    "Close the signal": "Signaal afsluiten",
    "is not one of the cooperative's people": "is niet een van de mensen van de coöperatie",
    "is not one of assign, note, close": "is niet een van toewijzen, notitie, afsluiten",
    "loneliness": "eenzaamheid",
    "health": "zorgen over gezondheid",
    "housing": "woning of veiligheid",
    "help": "hulpvraag",
    "other": "anders",
    "later": "kan wachten",
    "this week": "deze week",
    "today": "vandaag nog",
    "open": "open",
    "assigned": "toegewezen",
    "closed": "afgesloten",
    "Signal about this resident": "Signaal over deze bewoner",
    "Signal in the buurt": "Signaal in de buurt",
    "What did you see or hear?": "Wat zag of hoorde u?",
    "Describe what you noticed, in a few words. Not a diagnosis: no illnesses or medicines.":
        "Beschrijf in een paar woorden wat u opviel. Geen diagnose: geen ziektes of medicijnen.",
    "Record the signal": "Signaal vastleggen",
    "Signal recorded. Thank you.": "Signaal vastgelegd. Dank u.",
    "Signal already recorded.": "Signaal was al vastgelegd.",
    "Signals not sent yet (no connection): {n}": "Signalen nog niet verstuurd (geen verbinding): {n}",
    "Signal not recorded: {reason}": "Signaal niet vastgelegd: {reason}",
    "is required: what did you see or hear?": "is verplicht: wat zag of hoorde u?",
    "is not a resident of your rounds": "is geen bewoner uit uw rondes",
    "was used for another signal": "is al gebruikt voor een ander signaal",
    "category": "soort",
    "urgency": "urgentie",
    "note": "notitie",
    "resident_id": "bewoner",
    "buurt": "buurt",
    "door_id": "deur",
    "outcome": "uitkomst",
    "ago": "tijd",
    "House calls": "Huisbezoeken",
    "Evidence of the pilot": "Verantwoording van de pilot",
    "Counts only: nothing in this report identifies a resident.":
        "Alleen aantallen: niets in dit verslag wijst naar een bewoner.",
    "Residents reached": "Bewoners bereikt",
    "Contacts": "Contacten",
    "Praatje hours": "Uren praatje",
    "Deliveries": "Leveringen",
    "Regular assistant (%)": "Vaste assistent (%)",
    "Left out (%)": "Niet ingepland (%)",
    "Orders given to the planner": "Bestellingen voor de planner",
    "Hours to a follow-up (median)": "Uren tot opvolging (mediaan)",
    "Hours to closing a signal (median)": "Uren tot afsluiten signaal (mediaan)",
    "Deliveries by kind": "Leveringen per soort",
    "Contacts per month": "Contacten per maand",
    "Contacts per buurt": "Contacten per buurt",
    "House calls by outcome": "Huisbezoeken per uitkomst",
    "Signals by category": "Signalen per soort",
    "Regular assistant per assistant (%)": "Vaste assistent per assistent (%)",
    "Orders left out, by reason": "Niet ingeplande bestellingen, per reden",
    "Per month": "Per maand",
    "Per buurt": "Per buurt",
    "Per assistant": "Per assistent",
    "In detail": "In detail",
    "Measure": "Maat",
    "Or a month": "Of een maand",
    "must be a month like 2025-03": "moet een maand zijn zoals 2025-03",
    "deliveries": "leveringen",
    "house_calls": "huisbezoeken",
    "signals": "signalen",
    "alerts": "veiligheidsmeldingen",
    "unplanned": "niet ingepland",
    "signal_hours_to_follow_up": "uren tot opvolging",
    "signal_hours_to_close": "uren tot afsluiten",
    "no_shift": "geen dienst",
    "window_unreachable": "tijdvak niet haalbaar",
    "capacity": "te veel om te dragen",
    "ride_time": "te lang onderweg",
    "over_full": "dag te vol",
    "time_limit": "rekentijd op",
    "Visits by the regular assistant ({n} days)": "Bezoeken door de vaste assistent ({n} dagen)",
    "Contact person when the resident does not open":
        "Contactpersoon als de bewoner niet opendoet",
    "Name of the contact person": "Naam van de contactpersoon",
    "Phone of the contact person": "Telefoon van de contactpersoon",
    "The resident agreed that we keep this contact and call them when they do not open":
        "De bewoner gaf toestemming om deze contactpersoon te bewaren en te bellen als hij of "
        "zij niet opendoet",
    "Consent": "Toestemming",
    "is needed to keep a contact person": "is nodig om een contactpersoon te bewaren",
    "House calls in your round": "Huisbezoeken in uw ronde",
    "Recorded.": "Vastgelegd.",
    "Ring, introduce yourself and ask how things are; record what came of it.":
        "Bel aan, stel u voor en vraag hoe het gaat; leg vast wat eruit kwam.",
    "rung": "aangebeld, niet open",
    "opened": "opengedaan",
    "talked": "gesproken",
    "not_interested": "geen interesse",
    "come_back": "kom later terug",
    "is not a house call of your round today": "is geen huisbezoek uit uw ronde van vandaag",
    "was used for another house call": "is al gebruikt voor een ander huisbezoek",
    "The planner fills the slack of the daily rounds with house calls near the route, at "
    "varying days and times, without pushing out any order.":
        "De planner vult de ruimte in de dagelijkse rondes met huisbezoeken dicht bij de route, "
        "op wisselende dagen en tijden, zonder een bestelling te verdringen.",
    "Campaigns": "Campagnes",
    "Campaign": "Campagne",
    "Period": "Periode",
    "Doors": "Deuren",
    "running": "loopt",
    "stopped": "gestopt",
    "No campaigns yet.": "Nog geen campagnes.",
    "New campaign": "Nieuwe campagne",
    "Buurten": "Buurten",
    "Or streets (comma-separated)": "Of straten (met komma's ertussen)",
    "A door at most once in (days)": "Een deur hoogstens eens per (dagen)",
    "once someone opened; a door nobody opened is tried again at another time of day":
        "zodra er iemand opendeed; bij een deur waar niemand opendeed wordt het op een ander "
        "moment van de dag opnieuw geprobeerd",
    "Minutes per house call": "Minuten per huisbezoek",
    "Make the campaign": "Campagne maken",
    "Campaign {name} made with {n} doors.": "Campagne {name} gemaakt met {n} deuren.",
    "Campaign {name} saved.": "Campagne {name} opgeslagen.",
    "choose at least one buurt or street": "kies minstens één buurt of straat",
    "is not a buurt of the area": "is geen buurt van het gebied",
    "no address of the area lies in these buurten or streets":
        "er ligt geen adres van het gebied in deze buurten of straten",
    "a door at most once in {n} days": "een deur hoogstens eens per {n} dagen",
    "{n} minutes per house call": "{n} minuten per huisbezoek",
    "Stop the campaign": "Campagne stoppen",
    "Restart the campaign": "Campagne weer starten",
    "Progress per buurt": "Voortgang per buurt",
    "Reached": "Bereikt",
    "Talked to": "Gesproken",
    "Attempts": "Pogingen",
    "Coverage by street": "Dekking per straat",
    "Coverage of {name}": "Dekking van {name}",
    "Grey: not reached yet; orange: started; light blue: half; dark blue: most doors reached.":
        "Grijs: nog niet bereikt; oranje: begonnen; lichtblauw: de helft; donkerblauw: de meeste "
        "deuren bereikt.",
    # the areas' titles (data/areas/*.toml)
    "Demo: central Helsinki (real OpenStreetMap data, offline) — not Utrecht":
        "Demo: centrum van Helsinki (echte OpenStreetMap-gegevens, offline) — niet Utrecht",
}


def language() -> str:
    """The language of this request: the session's choice, else the configured default."""
    if "language" not in g:
        chosen = session.get("lang")
        g.language = chosen if chosen in LANGUAGES else current_app.config["DEFAULT_LANGUAGE"]
    return g.language


def translate(text: str, lang: str, **params) -> str:
    if lang == "nl":
        text = DUTCH.get(text, text)
    return text.format(**params) if params else text


def gettext(text: str, **params) -> str:
    """``_()`` in templates and views: ``text`` in the request's language."""
    return translate(text, language(), **params)


def english(text: str, **params) -> str:
    """The API speaks English whatever the browser session says."""
    return translate(text, "en", **params)
