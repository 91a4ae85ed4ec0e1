"""A real OpenLDAP server on loopback (Debian's slapd with its argon2 module) for the directory
tests of R39: a throw-away cn=config made here, the schema Qinzi ships (deploy/qinzi.ldif), and
optionally the ppolicy overlay. `.ci/run` installs slapd and ldap-utils when they are missing."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.smtp_server import free_port

SLAPD = "/usr/sbin/slapd"
SLAPADD = shutil.which("slapadd") or "/usr/sbin/slapadd"
MODULES = "/usr/lib/ldap"
SCHEMAS = Path("/etc/ldap/schema")
SHIPPED_SCHEMA = Path(__file__).resolve().parents[1] / "deploy" / "qinzi.ldif"
SUFFIX = "dc=city,dc=example"
ADMIN_DN = f"cn=admin,{SUFFIX}"
ADMIN_PASSWORD = "admin-secret-for-tests"
PARENTS_DN = f"ou=parents,{SUFFIX}"


def missing() -> str | None:
    """Why the server cannot run here, or None."""
    if not Path(SLAPD).exists():
        return "slapd is not installed (apt-get install slapd ldap-utils; .ci/run does it)"
    if not Path(MODULES, "argon2.so").exists():
        return "slapd's argon2 module is missing"
    if not shutil.which("ldapwhoami"):
        return "ldap-utils is not installed"
    return None


def _config(folder: Path, ppolicy: bool, cert: tuple[Path, Path] | None) -> str:
    modules = ["back_mdb", "argon2"] + (["ppolicy"] if ppolicy else [])
    tls = ""
    if cert is not None:
        tls = f"olcTLSCertificateFile: {cert[0]}\nolcTLSCertificateKeyFile: {cert[1]}\n"
    loads = "".join(f"olcModuleLoad: {m}\n" for m in modules)
    overlay = ""
    if ppolicy:
        overlay = """
dn: olcOverlay=ppolicy,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcPPolicyConfig
olcOverlay: ppolicy
"""
    schemas = "".join(
        f"include: file://{SCHEMAS / name}.ldif\n" for name in ("core", "cosine", "inetorgperson")
    )
    return f"""dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: {folder}/slapd.pid
{tls}
dn: cn=module,cn=config
objectClass: olcModuleList
cn: module
olcModulePath: {MODULES}
{loads}
dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

{schemas}include: file://{SHIPPED_SCHEMA}

dn: olcDatabase={{-1}}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {{-1}}frontend

dn: olcDatabase={{0}}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {{0}}config
olcAccess: {{0}}to * by * none

dn: olcDatabase={{1}}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {{1}}mdb
olcSuffix: {SUFFIX}
olcDbDirectory: {folder}/data
olcRootDN: {ADMIN_DN}
olcRootPW: {ADMIN_PASSWORD}
olcAccess: {{0}}to attrs=userPassword by anonymous auth by self write by * none
olcAccess: {{1}}to * by self read by * none
{overlay}"""


@dataclass
class Slapd:
    folder: Path
    port: int
    ppolicy: bool = False
    cert: tuple[Path, Path] | None = None
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    def configure(self) -> None:
        (self.folder / "slapd.d").mkdir(parents=True)
        (self.folder / "data").mkdir()
        ldif = self.folder / "config.ldif"
        ldif.write_text(_config(self.folder, self.ppolicy, self.cert), encoding="utf-8")
        subprocess.run([SLAPADD, "-n0", "-F", str(self.folder / "slapd.d"), "-l", str(ldif)],
                       check=True, capture_output=True)  # fmt: skip
        base = self.folder / "base.ldif"
        base.write_text(
            f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: city\n"
            f"o: City\n\ndn: {PARENTS_DN}\nobjectClass: organizationalUnit\nou: parents\n",
            encoding="utf-8",
        )
        subprocess.run([SLAPADD, "-n1", "-F", str(self.folder / "slapd.d"), "-l", str(base)],
                       check=True, capture_output=True)  # fmt: skip

    def start(self) -> None:
        """In the foreground of its own process (-d 0), so that stop() ends exactly it."""
        self.process = subprocess.Popen(
            [SLAPD, "-d", "0", "-h", self.url + "/", "-F", str(self.folder / "slapd.d")],
            stdout=subprocess.DEVNULL,
            stderr=(self.folder / "slapd.log").open("ab"),
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = (self.folder / "slapd.log").read_text(errors="replace")
                raise RuntimeError(f"slapd exited: {log[-2000:]}")
            if self.whoami(ADMIN_DN, ADMIN_PASSWORD):
                return
            time.sleep(0.05)
        raise RuntimeError("slapd did not answer within 10 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def whoami(self, dn: str, password: str) -> bool:
        """ldapwhoami with a simple bind: does this DN and password open the directory?"""
        result = subprocess.run(
            ["ldapwhoami", "-x", "-H", self.url, "-D", dn, "-w", password],
            capture_output=True,
            env={**os.environ, "LDAPTLS_REQCERT": "never"},
        )
        return result.returncode == 0

    def search(self, base: str, *args: str) -> str:
        result = subprocess.run(
            ["ldapsearch", "-x", "-LLL", "-o", "ldif-wrap=no", "-H", self.url, "-D", ADMIN_DN,
             "-w", ADMIN_PASSWORD, "-b", base, *args],
            capture_output=True, text=True,
        )  # fmt: skip
        return result.stdout


def start_slapd(folder: Path, *, ppolicy: bool = False, cert=None) -> Slapd:
    server = Slapd(folder, free_port(), ppolicy=ppolicy, cert=cert)
    server.configure()
    server.start()
    return server
