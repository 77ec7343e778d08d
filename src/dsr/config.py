"""``dsr.yaml``: controller, policies, processing records and data stores.

Unknown keys and wrong types are errors that name the file and the key. Texts that letters
quote (processing records, store labels) may be one string, or one per language
(``{de: ..., en: ...}``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

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
from dsr.domain.vocabulary import Language
from dsr.site import Site

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
# A table, optionally in a schema: ``customers`` or ``backup.customers``.
TableName = Annotated[
    str,
    StringConstraints(pattern=r"^([A-Za-z_][A-Za-z0-9_]{0,62}\.)?[A-Za-z_][A-Za-z0-9_]{0,62}$"),
]
IdentifierName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
BUILTIN_IDENTIFIERS = ("email", "phone", "customer_number")
Field_ = Literal[
    "name",
    "email",
    "phone",
    "customer_number",
    "postal_address.street",
    "postal_address.postcode",
    "postal_address.city",
    "postal_address.country",
]


def localized(text: Text | None, language: str) -> str:
    """``text`` in ``language``: the string itself, or that language's entry, else the entry
    of its letter language (English for the person's other languages), else German."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    fallback = Language(language).letters.value if language in set(Language) else "de"
    chosen = (
        text.get(language)  # type: ignore[call-overload]
        or text.get(fallback)  # type: ignore[call-overload]
        or text.get("de")
    )
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


Strategy = Literal["null", "mask", "hash", "random", "rewrite", "keep"]


class ColumnSpec(_Strict):
    category: str = "other"
    label: Text | None = Field(default=None, description="the column's name in the access report")
    erase: Strategy = "keep"
    rewrite: str | None = Field(default=None, description="the text ``erase: rewrite`` writes")
    field: Field_ | None = Field(default=None, description="the subject field it holds")

    @model_validator(mode="before")
    @classmethod
    def _rewrite_shorthand(cls, data: Any) -> Any:
        """``erase: {rewrite: "gelöscht"}`` is ``erase: rewrite`` with ``rewrite: gelöscht``."""
        if isinstance(data, dict) and isinstance(data.get("erase"), dict):
            strategy = data["erase"]
            if set(strategy) != {"rewrite"}:
                raise ValueError("erase: give a strategy name or {rewrite: <text>}")
            data = {**data, "erase": "rewrite", "rewrite": strategy["rewrite"]}
        return data

    @model_validator(mode="before")
    @classmethod
    def _address_in_parts(cls, data: Any) -> Any:
        """A whole address never goes into one column: a rectification would leave the old
        postcode and city beside the new street."""
        if isinstance(data, dict) and data.get("field") == "postal_address":
            raise ValueError(
                "field: postal_address names no column; map each part to its column: "
                "postal_address.street, postal_address.postcode, postal_address.city, "
                "postal_address.country"
            )
        return data

    @model_validator(mode="after")
    def _rewrite_has_text(self) -> ColumnSpec:
        if (self.erase == "rewrite") != (self.rewrite is not None):
            raise ValueError("erase: rewrite needs its text (rewrite: <text>), and only it")
        return self


Role = Literal["owns", "mentions", "related"]


class Reference(_Strict):
    """``column`` of this table points at ``to`` (``table.column``, the table optionally in a
    schema). What the link means for whose data a row is:

    - ``owns``: this row is about the person the target row is about (an order's customer);
    - ``mentions``: this row names that person in another role (a ticket's handling
      employee) — exported as third-party data, erased only in ``column``;
    - ``related``: the target row is used by the person's row here (an order's shipping
      address) — exported, and never erased while anyone else's row uses it too.
    """

    column: SqlName
    to: Annotated[
        str,
        StringConstraints(pattern=r"^([A-Za-z_]\w*\.)?[A-Za-z_]\w*\.[A-Za-z_]\w*$"),
    ]
    role: Role = "owns"

    @property
    def table(self) -> str:
        return self.to.rsplit(".", 1)[0]

    @property
    def target_column(self) -> str:
        return self.to.rsplit(".", 1)[1]


class Hold(_Strict):
    """A retention duty: rows are kept until the end of the year ``years`` after the date.
    Rows of tables that the held rows own are kept with them unless ``children: erase``."""

    law: str
    years: Annotated[int, Field(ge=1, le=30)]
    date_column: SqlName
    children: Literal["keep", "erase"] = "keep"


class SqlTable(_Strict):
    name: TableName
    label: Text | None = Field(default=None, description="the table's name in the access report")
    primary_key: list[SqlName] = Field(
        default_factory=lambda: ["id"],
        description="one column, a list for a composite key, or null for a table without one",
    )
    identity: dict[IdentifierName, list[SqlName]] = Field(default_factory=dict)
    references: list[Reference] = Field(default_factory=list)
    columns: dict[SqlName, ColumnSpec] = Field(default_factory=dict)
    export_all: bool = Field(
        default=False, description="export undeclared columns too (``columns: all``)"
    )
    erase: Literal["update", "delete", "keep"] = "keep"
    hold: Hold | None = None
    restrict_column: SqlName | None = Field(
        default=None, description="boolean column set on rows kept under a hold (Art. 18)"
    )
    read_only: bool = Field(default=False, description="a view, or a table dsr never writes")

    @model_validator(mode="before")
    @classmethod
    def _shorthands(cls, data: Any) -> Any:
        """The shorter spellings: ``reference:`` (one ``owns`` reference), one column per
        identifier, a single primary-key column, ``primary_key: null``, ``columns: all``."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if "reference" in data:
            if "references" in data:
                raise ValueError("give reference or references, not both")
            data["references"] = [data.pop("reference")]
        if "primary_key" in data:
            key = data["primary_key"]
            data["primary_key"] = [] if key is None else [key] if isinstance(key, str) else key
        if isinstance(data.get("identity"), dict):
            data["identity"] = {
                name: [columns] if isinstance(columns, str) else columns
                for name, columns in data["identity"].items()
            }
        if data.get("columns") == "all":
            data["columns"] = {}
            data["export_all"] = True
        return data

    @model_validator(mode="after")
    def _fits(self) -> SqlTable:
        if self.read_only and self.erase != "keep":
            raise ValueError(f"table {self.name}: read_only tables are never erased (erase: keep)")
        return self

    @property
    def key_columns(self) -> list[str]:
        return list(self.primary_key)

    def identity_columns(self) -> list[tuple[str, str]]:
        """(identifier type, column) for every identity column."""
        return [(name, column) for name, columns in self.identity.items() for column in columns]

    def owns(self) -> list[Reference]:
        return [r for r in self.references if r.role == "owns"]


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
    read_only: bool = Field(default=False, description="dsr never writes to this store")
    kba: dict[str, str | KbaLatest] = Field(default_factory=dict)
    tables: list[SqlTable]

    @model_validator(mode="after")
    def _references_resolve(self) -> SqlStore:
        names = {table.name for table in self.tables}
        if len(names) != len(self.tables):
            raise ValueError("table names must be unique")
        targets = {r.table for table in self.tables for r in table.references}
        for table in self.tables:
            for reference in table.references:
                if reference.table not in names:
                    raise ValueError(
                        f"table {table.name}: reference to {reference.to} names "
                        f"an unknown table {reference.table!r}"
                    )
            if not (table.identity or table.references or table.name in targets):
                raise ValueError(
                    f"table {table.name}: needs identity columns, a reference, or a reference to it"
                )
        return self

    def table(self, name: str) -> SqlTable:
        return next(table for table in self.tables if table.name == name)


PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]{0,31})\}")


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


class ManualInstructions(_Strict):
    """What the person doing the manual work does, per kind of request: an access request
    must never show the erasure text ("... vernichten")."""

    access: str | None = None
    erasure: str | None = None
    rectification: str | None = None


# A task's action -> the key of its instructions (portability is answered like access).
INSTRUCTION_KEYS = {"export": "access", "erase": "erasure", "rectify": "rectification"}


class ManualStore(_Store):
    type: Literal["manual"]
    instructions: str | ManualInstructions = Field(
        description="one text for every kind of request, or {access:, erasure:, rectification:}"
    )

    def instructions_for(self, action: str) -> str:
        """The instructions for a task's action (``export``, ``erase``, ``rectify``); empty
        when ``dsr.yaml`` gives none for it."""
        if isinstance(self.instructions, str):
            return self.instructions
        key = INSTRUCTION_KEYS.get(action)
        return (getattr(self.instructions, key) or "") if key else ""


Store = Annotated[SqlStore | RedisStore | HttpStore | ManualStore, Field(discriminator="type")]


class IdentifierType(_Strict):
    """An identifier beyond e-mail, phone and customer number (a loyalty card, a contract
    number), matched in the stores' identity columns and key patterns."""

    name: IdentifierName
    label: Text
    normalize: Literal["upper", "lower", "digits", "none"] = "upper"
    form: bool = Field(default=False, description="asked for on the public form")
    max_length: Annotated[int, Field(ge=1, le=200)] = 64

    def normal(self, value: str) -> str:
        """The value in the form stored values are compared in."""
        value = value.strip()
        if self.normalize == "upper":
            return value.upper()
        if self.normalize == "lower":
            return value.lower()
        if self.normalize == "digits":
            return "".join(c for c in value if c.isdigit())
        return value


class MailboxConfig(_Strict):
    """The watched mailbox (``mailbox:``): where requests arrive by e-mail. Credentials come
    from the environment variables named here, never from the file."""

    url: Annotated[
        str, StringConstraints(pattern=r"^imaps?://[^/@\s]+(:\d+)?/?(\?starttls=true)?$")
    ]
    folder: str = "INBOX"
    processed_folder: str = "dsr-processed"
    user_env: str = "DSR_MAILBOX_USER"
    password_env: str = "DSR_MAILBOX_PASSWORD"  # noqa: S105 - the variable's name
    ca_file: Path | None = Field(default=None, description="a private CA's certificate (PEM)")
    max_bytes: Annotated[int, Field(ge=10_000, le=200_000_000)] = 25_000_000
    batch: Annotated[int, Field(ge=1, le=1000)] = 50
    poll_seconds: Annotated[float, Field(ge=1, le=3600)] = 60.0

    @model_validator(mode="after")
    def _tls(self) -> MailboxConfig:
        host = self.url.split("://", 1)[1].split(":", 1)[0].split("/", 1)[0].split("?", 1)[0]
        plain = self.url.startswith("imap://") and "starttls=true" not in self.url
        if plain and host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("mailbox.url: use imaps:// or imap://...?starttls=true (TLS)")
        if self.folder == self.processed_folder:
            raise ValueError("mailbox: processed_folder must differ from folder")
        return self


class DsrConfig(_Strict):
    controller: Controller = Controller()
    site: Site = Site()
    policies: Policies = Policies()
    identifiers: list[IdentifierType] = Field(default_factory=list)
    processing: list[ProcessingRecord] = Field(default_factory=list)
    categories: dict[str, Text] = Field(
        default_factory=dict, description="names of data categories beyond the built-in ones"
    )
    stores: list[Store] = Field(default_factory=list)
    mailbox: MailboxConfig | None = None

    @model_validator(mode="after")
    def _identifiers_declared(self) -> DsrConfig:
        extra = [i.name for i in self.identifiers]
        if len(set(extra)) != len(extra) or set(extra) & set(BUILTIN_IDENTIFIERS):
            raise ValueError(
                "identifiers: names must be unique and not email, phone or customer_number"
            )
        known = {*BUILTIN_IDENTIFIERS, *extra}
        for store in self.stores:
            used: set[str] = set()
            if isinstance(store, SqlStore):
                used = {name for table in store.tables for name in table.identity}
            elif isinstance(store, RedisStore):
                used = {name for key in store.keys for name in PLACEHOLDER.findall(key)}
            for name in sorted(used - known):
                raise ValueError(
                    f"store {store.name}: identifier {name!r} is not declared "
                    "(declare it under identifiers:)"
                )
        return self

    def identifier_type(self, name: str) -> IdentifierType | None:
        return next((i for i in self.identifiers if i.name == name), None)

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
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader) or {}  # noqa: S506 - a SafeLoader
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


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe YAML where a key given twice in one mapping is an error, not "the last wins"."""


def _unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"the key {key!r} is given twice", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _unique_mapping,
)
