"""The Postgres image ships a reduced ICU data library (harness/images_recipes/rootfs.py): what a user of the
database notices must not change. initdb imports every ICU collation with its English description, UTF8 text
sorts, compares and changes case as before, and ICU collations still sort, case-map and word-break per
language, also in a non-UTF8 database (ICU converters)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator

import asyncpg
import docker
import pytest

from harness.baseimages import build_base_image
from harness.waits import wait_until
from tests.images.conftest import host_port, running

pytestmark = pytest.mark.docker

WORDS = ["zebra", "Äpfel", "apple", "Zürich", "øl", "Ωmega", "ЖУК", "ärger", "éclair", "Edam"]


@pytest.fixture(scope="module")
def pg(docker_client: docker.DockerClient) -> Iterator[tuple[int, str]]:
    """(loopback port, password) of a fresh server from the postgres image, on a read-only root."""
    ref = build_base_image("postgres", docker_client).ref
    password = secrets.token_hex(12)
    with running(
        docker_client, ref,
        environment={"POSTGRES_PASSWORD": password, "POSTGRES_USER": "todo", "POSTGRES_DB": "todo"},
        read_only=True, tmpfs={"/tmp": "", "/var/lib/postgresql/data": "uid=1001,gid=1001,mode=0700"},
        ports={"5432/tcp": ("127.0.0.1", None)},
    ) as container:  # fmt: skip
        port = host_port(container, "5432/tcp")

        def ready() -> tuple[bool, str]:
            container.reload()
            if container.status == "exited":
                return True, container.logs()[-2000:].decode(errors="replace")
            result = container.exec_run(["pg_isready", "-h", "127.0.0.1", "-U", "todo", "-d", "todo"])
            return result.exit_code == 0, result.output.decode(errors="replace").strip()

        wait_until("postgres (first start: initdb) to accept connections", ready, timeout=90)
        assert container.status == "running", container.logs()[-3000:].decode(errors="replace")
        asyncio.run(_create_words(port, password))
        yield port, password


async def _create_words(port: int, password: str) -> None:
    conn = await asyncpg.connect(host="127.0.0.1", port=port, user="todo", password=password, database="todo")
    try:
        await conn.execute("CREATE TABLE words (w text)")
        await conn.executemany("INSERT INTO words VALUES ($1)", [(w,) for w in WORDS])
    finally:
        await conn.close()


def _query(pg: tuple[int, str], *statements: str, database: str = "todo") -> list[list[tuple[object, ...]]]:
    """Run the statements in order on one connection; each one's rows."""

    async def go() -> list[list[tuple[object, ...]]]:
        conn = await asyncpg.connect(
            host="127.0.0.1", port=pg[0], user="todo", password=pg[1], database=database
        )
        try:
            return [[tuple(r) for r in await conn.fetch(s)] for s in statements]
        finally:
            await conn.close()

    return asyncio.run(go())


def test_initdb_imported_every_icu_collation_with_its_english_description(pg: tuple[int, str]) -> None:
    count, descriptions = _query(
        pg,
        "SELECT count(*) FROM pg_collation WHERE collprovider = 'i'",
        "SELECT collname, obj_description(oid, 'pg_collation') FROM pg_collation"
        " WHERE collname IN ('de-DE-x-icu', 'sv-x-icu', 'th-x-icu', 'und-x-icu') ORDER BY collname",
    )
    # as many as with Debian's full ICU 72 data library (an empty one makes initdb fail on "und")
    assert count == [(806,)]
    assert descriptions == [
        ("de-DE-x-icu", "German (Germany)"),
        ("sv-x-icu", "Swedish"),
        ("th-x-icu", "Thai"),
        ("und-x-icu", "Unknown language"),
    ]


def test_utf8_text_is_stored_sorted_and_matched(pg: tuple[int, str]) -> None:
    rows = _query(
        pg,
        "SHOW server_encoding",
        "SELECT string_agg(w, ' ' ORDER BY w) FROM words",
        "SELECT w FROM words WHERE w LIKE 'Z%ich' OR w LIKE '_pfel' ORDER BY w",
        "SELECT upper('straße ж' COLLATE \"und-x-icu\"), lower('ÄÖÜ ΣΑΣ' COLLATE \"und-x-icu\")",
    )
    assert rows[0] == [("UTF8",)]
    # the database's C collation: code point order
    assert rows[1] == [("Edam Zürich apple zebra Äpfel ärger éclair øl Ωmega ЖУК",)]
    assert rows[2] == [("Zürich",), ("Äpfel",)]
    assert rows[3] == [("STRASSE Ж", "äöü σας")]  # ICU full case mapping, final sigma


def test_icu_collations_follow_each_language(pg: tuple[int, str]) -> None:
    sv, de, tr, el, th = _query(
        pg,
        "SELECT string_agg(w, ' ' ORDER BY w COLLATE \"sv-x-icu\") FROM words",
        "SELECT string_agg(w, ' ' ORDER BY w COLLATE \"de-x-icu\") FROM words",
        "SELECT lower('İI' COLLATE \"tr-x-icu\"), upper('i' COLLATE \"tr-x-icu\")",
        "SELECT initcap('ελληνικά λέξη' COLLATE \"el-x-icu\")",
        "SELECT initcap('hello wörld ñandú' COLLATE \"th-x-icu\")",
    )
    assert sv == [("apple éclair Edam zebra Zürich Äpfel ärger øl Ωmega ЖУК",)]  # å ä ö after z in Swedish
    assert de == [("Äpfel apple ärger éclair Edam øl zebra Zürich Ωmega ЖУК",)]
    assert tr == [("i\u0131", "\u0130")]  # Turkish dotted and dotless i
    assert el == [("Ελληνικά Λέξη",)]
    assert th == [("Hello Wörld Ñandú",)]  # word breaks from ICU's rules, not at every non-ASCII letter


def test_an_icu_collation_works_in_a_latin2_database(pg: tuple[int, str]) -> None:
    _query(pg, "CREATE DATABASE latin2 TEMPLATE template0 ENCODING 'LATIN2' LOCALE 'C'")
    (order,) = _query(
        pg,
        "SELECT string_agg(x, ' ' ORDER BY x COLLATE \"cs-x-icu\")"
        " FROM unnest(ARRAY['chleba', 'hrad', 'cesta', 'čaj']) x",
        database="latin2",
    )
    assert order == [("cesta čaj hrad chleba",)]  # Czech: č after c, ch after h


@pytest.mark.parametrize(
    ("encoding", "words", "expected"),
    [
        ("EUC_JP", ["ぶどう", "りんご", "あんず"], "あんず ぶどう りんご"),  # ICU converter euc-jp-2007 kept
        ("WIN1251", ["ёж", "еда", "жук"], "еда ёж жук"),  # a Windows code page: ibm-5347 kept
    ],
)
def test_an_icu_collation_works_in_each_kind_of_server_encoding_left_in_the_icu_data(
    pg: tuple[int, str], encoding: str, words: list[str], expected: str
) -> None:
    # the image keeps only the ICU converters of server encodings: one multi-byte and one single-byte here
    database = encoding.lower()
    _query(pg, f"CREATE DATABASE {database} TEMPLATE template0 ENCODING '{encoding}' LOCALE 'C'")
    array = ", ".join(f"'{w}'" for w in words)
    (order,) = _query(
        pg,
        f"SELECT string_agg(x, ' ' ORDER BY x COLLATE \"und-x-icu\") FROM unnest(ARRAY[{array}]) x",  # noqa: S608
        database=database,
    )
    assert order == [(expected,)]
