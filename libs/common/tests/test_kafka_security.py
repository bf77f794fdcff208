"""The Kafka connection every client is built from: TLS, SASL SCRAM, and what production refuses."""

from __future__ import annotations

import ast
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import ValidationError

from brokerage_common.kafka import (
    CLOUDEVENTS_CONTENT_TYPE,
    InsecureKafkaConnection,
    KafkaConnection,
    make_consumer,
    make_producer,
)
from brokerage_common.settings import CommonSettings

ROOT = Path(__file__).resolve().parents[3]
BOOTSTRAP = "brokerage-kafka-kafka-bootstrap:9093"
PG_URL = "postgresql+asyncpg://svc@db:5432/svc"
JWT = "a-real-production-secret-0123456789"
# As long as the passwords Strimzi's User Operator generates (32 characters).
PASSWORD = "Zq8vR2mKx4TnP7wLs9YbC3dHf6JgA5eU"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _cert(
    subject: str, key: ec.EllipticCurvePrivateKey, issuer: str, signer: ec.EllipticCurvePrivateKey
) -> x509.Certificate:
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=subject == issuer, path_length=None), True)
        .sign(signer, hashes.SHA256())
    )


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A cluster CA (as Strimzi's <cluster>-cluster-ca-cert holds) and a client key pair."""
    where = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    client_key = ec.generate_private_key(ec.SECP256R1())
    files = {
        "ca": (_cert("brokerage-kafka cluster CA", ca_key, "brokerage-kafka cluster CA", ca_key)),
        "cert": _cert("tiering-svc", client_key, "brokerage-kafka cluster CA", ca_key),
    }
    paths = {}
    for name, cert in files.items():
        paths[name] = str(where / f"{name}.crt")
        Path(paths[name]).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths["key"] = str(where / "client.key")
    Path(paths["key"]).write_bytes(
        client_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


def scram(environment: str = "local", **overrides: Any) -> CommonSettings:
    values: dict[str, Any] = {
        "environment": environment,
        "database_url": PG_URL,
        "auth_jwt_secret": JWT,
        "kafka_bootstrap_servers": BOOTSTRAP,
        "kafka_security_protocol": "SASL_SSL",
        "kafka_sasl_mechanism": "SCRAM-SHA-512",
        "kafka_sasl_username": "tiering-svc",
        "kafka_sasl_password": PASSWORD,
    }
    return CommonSettings(**(values | overrides))


# ------------------------------------------------------------------------------ the built kwargs


def test_the_local_default_is_plaintext_with_nothing_else() -> None:
    settings = CommonSettings(kafka_bootstrap_servers="127.0.0.1:9092")
    options = KafkaConnection.from_settings(settings).client_options()
    assert options == {"bootstrap_servers": "127.0.0.1:9092", "security_protocol": "PLAINTEXT"}


def test_bootstrap_servers_alone_mean_plaintext() -> None:
    assert (
        KafkaConnection("h:1").client_options()
        == KafkaConnection.from_settings(
            CommonSettings(kafka_bootstrap_servers="h:1")
        ).client_options()
    )


def test_sasl_ssl_scram_gives_the_credentials_and_a_verifying_tls_context(
    pki: dict[str, str],
) -> None:
    connection = KafkaConnection.from_settings(scram(kafka_ssl_cafile=pki["ca"]))
    options = connection.client_options()
    context = options.pop("ssl_context")
    assert options == {
        "bootstrap_servers": BOOTSTRAP,
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "tiering-svc",
        "sasl_plain_password": PASSWORD,
    }
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
    trusted = [dict(item[0] for item in c["subject"]) for c in context.get_ca_certs()]
    assert trusted == [{"commonName": "brokerage-kafka cluster CA"}]
    # Built once: every client of the connection shares the context (one read of the files).
    assert connection.client_options()["ssl_context"] is context


def test_scram_sha_256_and_lower_case_spellings_are_accepted() -> None:
    settings = scram(kafka_security_protocol="sasl_plaintext", kafka_sasl_mechanism="scram-sha-256")
    options = KafkaConnection.from_settings(settings).client_options()
    assert options["security_protocol"] == "SASL_PLAINTEXT"
    assert options["sasl_mechanism"] == "SCRAM-SHA-256"
    assert "ssl_context" not in options


def test_mutual_tls_loads_the_client_certificate(pki: dict[str, str]) -> None:
    settings = CommonSettings(
        kafka_security_protocol="SSL",
        kafka_ssl_cafile=pki["ca"],
        kafka_ssl_certfile=pki["cert"],
        kafka_ssl_keyfile=pki["key"],
    )
    options = KafkaConnection.from_settings(settings).client_options()
    assert set(options) == {"bootstrap_servers", "security_protocol", "ssl_context"}
    # A key that is not the certificate's is refused while the context is built: the pair
    # was really loaded.
    wrong = KafkaConnection("h:1", "SSL", ssl_certfile=pki["cert"], ssl_keyfile=pki["ca"])
    with pytest.raises(ssl.SSLError):
        wrong.client_options()


async def test_aiokafka_clients_take_the_options(pki: dict[str, str]) -> None:
    connection = KafkaConnection.from_settings(scram(kafka_ssl_cafile=pki["ca"]))
    producer = make_producer(connection, client_id="t")
    consumer = make_consumer(connection, group_id="tiering-svc")
    try:
        for inner in (producer.client, consumer._client):
            assert inner._security_protocol == "SASL_SSL"
            assert inner._sasl_mechanism == "SCRAM-SHA-512"
            assert inner._sasl_plain_username == "tiering-svc"
            assert inner._sasl_plain_password == PASSWORD
            assert inner._ssl_context is connection.ssl_context
    finally:
        await producer.stop()
        await consumer.stop()


def test_confluent_kafka_gets_the_same_connection(pki: dict[str, str]) -> None:
    config = KafkaConnection.from_settings(scram(kafka_ssl_cafile=pki["ca"])).confluent_config()
    assert config == {
        "bootstrap.servers": BOOTSTRAP,
        "security.protocol": "SASL_SSL",
        "ssl.endpoint.identification.algorithm": "https",
        "ssl.ca.location": pki["ca"],
        "sasl.mechanisms": "SCRAM-SHA-512",
        "sasl.username": "tiering-svc",
        "sasl.password": PASSWORD,
    }
    assert KafkaConnection("h:1").confluent_config() == {
        "bootstrap.servers": "h:1",
        "security.protocol": "PLAINTEXT",
    }


def test_the_password_is_in_no_repr() -> None:
    settings = scram()
    assert PASSWORD not in repr(settings)
    assert PASSWORD not in repr(KafkaConnection.from_settings(settings))


def test_the_cloudevents_content_type_is_the_structured_mode_one() -> None:
    # CloudEvents Kafka protocol binding, structured content mode (JSON event format).
    assert CLOUDEVENTS_CONTENT_TYPE == "application/cloudevents+json; charset=UTF-8"


# ------------------------------------------------------------------------------ refusals


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"kafka_sasl_password": None}, "KAFKA_SASL_PASSWORD"),
        ({"kafka_sasl_password": "  "}, "KAFKA_SASL_PASSWORD"),
        ({"kafka_sasl_username": None}, "KAFKA_SASL_USERNAME"),
        ({"kafka_sasl_mechanism": None}, "KAFKA_SASL_MECHANISM"),
        ({"kafka_sasl_mechanism": "GSSAPI"}, "kafka_sasl_mechanism"),
        ({"kafka_security_protocol": "TLS"}, "kafka_security_protocol"),
        ({"kafka_security_protocol": "PLAINTEXT"}, r"KAFKA_SASL_\* are set"),
        ({"kafka_security_protocol": "SASL_PLAINTEXT", "kafka_ssl_cafile": "/ca"}, r"KAFKA_SSL_\*"),
        ({"kafka_ssl_certfile": "/client.crt"}, "KAFKA_SSL_CERTFILE and KAFKA_SSL_KEYFILE"),
        ({"kafka_ssl_keyfile": "/client.key"}, "KAFKA_SSL_CERTFILE and KAFKA_SSL_KEYFILE"),
    ],
)
def test_an_inconsistent_configuration_is_refused_in_every_environment(
    overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        scram("local", **overrides)


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_a_weak_sasl_password_is_refused_outside_local(environment: str) -> None:
    with pytest.raises(ValidationError, match="KAFKA_SASL_PASSWORD must be at least 32 bytes"):
        scram(environment, kafka_sasl_password="short-password")
    assert scram("local", kafka_sasl_password="short-password").kafka_sasl_password


def test_production_refuses_plaintext_unless_allowed() -> None:
    settings = CommonSettings(environment="production", database_url=PG_URL, auth_jwt_secret=JWT)
    with pytest.raises(InsecureKafkaConnection, match="KAFKA_ALLOW_PLAINTEXT"):
        KafkaConnection.from_settings(settings)
    allowed = CommonSettings(
        environment="production",
        database_url=PG_URL,
        auth_jwt_secret=JWT,
        kafka_allow_plaintext=True,
    )
    assert KafkaConnection.from_settings(allowed).security_protocol == "PLAINTEXT"
    # Staging may run a plaintext broker; only production holds customers' real events.
    staging = CommonSettings(environment="staging", database_url=PG_URL, auth_jwt_secret=JWT)
    assert KafkaConnection.from_settings(staging).security_protocol == "PLAINTEXT"


def test_production_refuses_sasl_plain_but_takes_scram() -> None:
    with pytest.raises(InsecureKafkaConnection, match="PLAIN"):
        KafkaConnection.from_settings(scram("production", kafka_sasl_mechanism="PLAIN"))
    assert KafkaConnection.from_settings(scram("local", kafka_sasl_mechanism="PLAIN"))
    for mechanism in ("SCRAM-SHA-512", "SCRAM-SHA-256"):
        connection = KafkaConnection.from_settings(
            scram("production", kafka_sasl_mechanism=mechanism)
        )
        assert connection.sasl_mechanism == mechanism


def test_the_settings_read_the_documented_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "KAFKA_SASL_USERNAME": "notify-svc",
        "KAFKA_SASL_PASSWORD": PASSWORD,
        "KAFKA_SSL_CAFILE": "/etc/kafka-ca/ca.crt",
        "KAFKA_ALLOW_PLAINTEXT": "false",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    connection = KafkaConnection.from_settings(CommonSettings())
    assert (connection.security_protocol, connection.sasl_username, connection.ssl_cafile) == (
        "SASL_SSL",
        "notify-svc",
        "/etc/kafka-ca/ca.crt",
    )


# ------------------------------------------------------------------------------ every client


KAFKA_CLIENTS = {"AIOKafkaProducer", "AIOKafkaConsumer", "AIOKafkaAdminClient"}
KAFKA_MODULE = "libs/common/src/brokerage_common/kafka.py"


def client_constructions() -> list[tuple[str, int, str]]:
    """Every aiokafka client built in the shipped code: (file, line, its ``**`` arguments)."""
    found = []
    for top in ("libs/common/src", "services", "tools", "apps", "bench", "scripts"):
        for path in sorted((ROOT / top).rglob("*.py")):
            if "/tests/" in str(path) or "/.venv/" in str(path):
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", getattr(node.func, "attr", None))
                if name in KAFKA_CLIENTS:
                    spread = " ".join(ast.unparse(k.value) for k in node.keywords if k.arg is None)
                    found.append((str(path.relative_to(ROOT)), node.lineno, spread))
    return found


def test_every_aiokafka_client_is_built_from_the_connection() -> None:
    found = client_constructions()
    # kafka.py builds them all (make_producer, make_consumer, the admin of ensure_topics and
    # its empty-topic probe): a client built elsewhere would miss the TLS and SASL options.
    assert [(path, line) for path, line, _ in found if path != KAFKA_MODULE] == []
    in_kafka = [spread for path, _, spread in found if path == KAFKA_MODULE]
    assert len(in_kafka) == 4
    assert [s for s in in_kafka if "client_options()" not in s and s != "options"] == []
