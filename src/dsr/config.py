"""``dsr.yaml``: controller, policies, processing records and data stores.

Unknown keys and wrong types are errors that name the file and the key. Texts that letters
quote (processing records, store labels) may be one string, or one per language
(``{de: ..., en: ...}``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from dsr.domain.errors import ConfigError

Text = str | dict[Literal["de", "en"], str]


def _texts(de: str, en: str) -> Text:
    return {"de": de, "en": en}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Contact(_Strict):
    name: str
    email: str
    address: list[str] = Field(default_factory=list)
    phone: str | None = None
    web: str | None = None


class Dpo(Contact):
    """The data protection officer; ``title`` is how letters name the office."""

    title: Text = Field(
        default_factory=lambda: _texts("Datenschutzbeauftragter", "Data protection officer")
    )


class Authority(Contact):
    """The supervisory authority named in the complaint paragraph (Art. 77)."""

    postal_box: list[str] = Field(default_factory=list, description="e.g. [Postfach 20 04 44, ...]")
    explained: Text | None = Field(
        default=None, description="what the name means, for letters in another language"
    )


class Legal(_Strict):
    """What a company's business letters must name (§ 35a GmbHG, § 80 AktG)."""

    seat: str
    register_court: str
    register_number: str
    managing_directors: list[str] = Field(min_length=1)
    directors_label: Text = Field(
        default_factory=lambda: _texts("Geschäftsführung", "Managing directors")
    )


LEGAL_FORMS = ("GmbH", "gGmbH", "UG", "AG", "SE", "KGaA")


class Controller(_Strict):
    name: str = "Beispiel Kundenservice GmbH"
    address: list[str] = Field(default_factory=lambda: ["Musterstraße 1", "45127 Essen"])
    email: str = "datenschutz@example.org"
    phone: str | None = Field(default=None, description="service phone number named in letters")
    legal: Legal | None = None
    dpo: Dpo = Dpo(name="Dr. Datenschutz", email="dsb@example.org")

    supervisory_authority: Authority = Authority(
        name="Landesbeauftragte für Datenschutz und Informationsfreiheit Nordrhein-Westfalen",
        address=["Kavalleriestraße 2-4", "40213 Düsseldorf"],
        postal_box=["Postfach 20 04 44", "40102 Düsseldorf"],
        email="poststelle@ldi.nrw.de",
        phone="0211 38424-0",
        web="https://www.ldi.nrw.de",
        explained={
            "en": "the State Commissioner for Data Protection and Freedom of Information of "
            "North Rhine-Westphalia"
        },
    )

    @property
    def has_legal_form(self) -> bool:
        """A company whose letters must carry the § 35a GmbHG / § 80 AktG details."""
        return any(form in self.name.split() for form in LEGAL_FORMS)


class Policies(_Strict):
    verification: dict[str, list[str]] = Field(
        default_factory=lambda: {
            "access": ["email_matched", "kba"],
            "erasure": ["email_matched", "kba"],
            "rectification": ["email_matched", "kba"],
        }
    )
    auto_approve: list[str] = Field(default_factory=lambda: ["access"])
    auto_release: list[str] = Field(default_factory=list)
    reminders_days: list[int] = Field(default_factory=lambda: [7, 3, 1])
    unverified_expiry_days: int = 14
    pause_for_identity: bool = False
    retention_days: int = 1095


SqlName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")]
Identifier = Literal["email", "phone", "customer_number"]
Field_ = Literal["name", "email", "phone", "postal_address", "customer_number"]


def localized(text: Text | None, language: str) -> str:
    """``text`` in ``language``: the string itself, or that language's entry, else German."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    chosen = text.get(language) or text.get("de")  # type: ignore[call-overload]
    return chosen or next(iter(text.values()), "")


# The EU and the other EEA states: transfers elsewhere need Art. 15(2) safeguards in letters.
EEA = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IS",
        "IT",
        "LI",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "NO",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    ]
)


class Recipient(_Strict):
    """A recipient of the data (Art. 15(1)(c), Art. 19), named as the letter names it."""

    name: str
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = "DE"
    safeguards: Text | None = Field(
        default=None, description="Art. 46 safeguards for a country outside the EU/EEA"
    )

    @model_validator(mode="after")
    def _safeguards_outside_eea(self) -> Recipient:
        if self.country not in EEA and not self.safeguards:
            raise ValueError(
                f"recipient {self.name}: {self.country} is outside the EU/EEA, "
                "name the safeguards (Art. 15(2), e.g. standard contractual clauses)"
            )
        return self


class ProcessingRecord(_Strict):
    """One entry of the records of processing activities (Art. 30), as Art. 15(1) quotes it
    to a person whose data of one of ``categories`` was found."""

    name: Text
    purposes: list[Text]
    legal_basis: Text
    categories: list[str]
    recipients: list[Recipient] = Field(default_factory=list)
    storage: Text
    source: Text | None = Field(default=None, description="where not collected from the person")
    automated_decisions: Text | None = Field(
        default=None, description="Art. 22 decisions incl. profiling; empty means none"
    )


class ColumnSpec(_Strict):
    category: str = "other"
    erase: Literal["null", "mask", "hash", "keep"] = "keep"
    field: Field_ | None = Field(default=None, description="the subject field it holds")


class Reference(_Strict):
    column: SqlName
    to: Annotated[str, StringConstraints(pattern=r"^[A-Za-z_]\w*\.[A-Za-z_]\w*$")]

    @property
    def table(self) -> str:
        return self.to.split(".", 1)[0]

    @property
    def target_column(self) -> str:
        return self.to.split(".", 1)[1]


class Hold(_Strict):
    """A retention duty: rows are kept until the end of the year ``years`` after the date."""

    law: str
    years: Annotated[int, Field(ge=1, le=30)]
    date_column: SqlName


class SqlTable(_Strict):
    name: SqlName
    primary_key: SqlName = "id"
    identity: dict[Identifier, SqlName] = Field(default_factory=dict)
    reference: Reference | None = None
    columns: dict[SqlName, ColumnSpec] = Field(default_factory=dict)
    erase: Literal["update", "delete", "keep"] = "keep"
    hold: Hold | None = None
    restrict_column: SqlName | None = Field(
        default=None, description="boolean column set on rows kept under a hold (Art. 18)"
    )


class KbaLatest(_Strict):
    table: SqlName
    column: SqlName
    latest_by: SqlName


class _Store(_Strict):
    name: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,62}$")]
    timeout: Annotated[float, Field(gt=0, le=600)] = 30.0
    recipient: Recipient | None = None
    label: Text | None = Field(default=None, description="what letters call this store")


class SqlStore(_Store):
    type: Literal["sql"]
    url: str
    system_of_record: bool = False
    kba: dict[str, str | KbaLatest] = Field(default_factory=dict)
    tables: list[SqlTable]

    @model_validator(mode="after")
    def _references_resolve(self) -> SqlStore:
        names = {table.name for table in self.tables}
        if len(names) != len(self.tables):
            raise ValueError("table names must be unique")
        for table in self.tables:
            if table.reference and table.reference.table not in names:
                raise ValueError(
                    f"table {table.name}: reference.to names an unknown table "
                    f"{table.reference.table!r}"
                )
            if not table.identity and not table.reference:
                raise ValueError(f"table {table.name}: needs identity columns or a reference")
        return self


class RedisStore(_Store):
    type: Literal["redis"]
    url: str
    keys: list[Annotated[str, StringConstraints(min_length=3)]]
    category: str = "usage"


class HttpStore(_Store):
    type: Literal["http"]
    url: str
    secret_env: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]*$")] | None = None
    secret_file: Path | None = None
    categories: list[str] = Field(default_factory=list)
    timeout: Annotated[float, Field(gt=0, le=600)] = 10.0

    @model_validator(mode="after")
    def _one_secret(self) -> HttpStore:
        if (self.secret_env is None) == (self.secret_file is None):
            raise ValueError("give exactly one of secret_env and secret_file")
        return self

    def secret(self, environ: Mapping[str, str]) -> bytes:
        if self.secret_env:
            return environ.get(self.secret_env, "").encode()
        assert self.secret_file is not None
        try:
            return self.secret_file.read_text(encoding="utf-8").strip().encode()
        except OSError:
            return b""


class ManualStore(_Store):
    type: Literal["manual"]
    instructions: str


Store = Annotated[SqlStore | RedisStore | HttpStore | ManualStore, Field(discriminator="type")]


class DsrConfig(_Strict):
    controller: Controller = Controller()
    policies: Policies = Policies()
    processing: list[ProcessingRecord] = Field(default_factory=list)
    stores: list[Store] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_system_of_record(self) -> DsrConfig:
        names = [store.name for store in self.stores]
        if len(set(names)) != len(names):
            raise ValueError("store names must be unique")
        records = [s.name for s in self.stores if isinstance(s, SqlStore) and s.system_of_record]
        if self.stores and len(records) != 1:
            raise ValueError(
                f"exactly one sql store needs system_of_record: true (found {len(records)})"
            )
        return self

    @property
    def system_of_record(self) -> SqlStore | None:
        return next(
            (s for s in self.stores if isinstance(s, SqlStore) and s.system_of_record), None
        )

    def store(self, name: str) -> SqlStore | RedisStore | HttpStore | ManualStore:
        for store in self.stores:
            if store.name == name:
                return store
        raise KeyError(name)


def load_config(path: Path, *, required: bool) -> DsrConfig:
    """Read and validate ``path``; without the file, the built-in demo defaults."""
    if not path.exists():
        if required:
            raise ConfigError(f"{path}: file not found (set DSR_CONFIG)")
        return DsrConfig()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    try:
        return DsrConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from exc
