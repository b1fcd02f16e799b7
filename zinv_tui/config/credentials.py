"""Where a profile's API key comes from, and the 0600 file that stores it.

A profile's key is taken from the first of these that is configured:

1. ``api_key_command``: a command that prints the key (a password manager: ``pass show
   zettle/shop``, ``op read op://Shop/Zettle/credential``). It runs with a timeout and without a
   shell, unless the line uses shell syntax (pipes, ``$VAR``, ``~``, redirections, ``;``, ``&&``,
   globs): then through ``/bin/sh``. Its standard error goes to the terminal, so that it can ask for
   a passphrase.
2. ``api_key_env``: the name of an environment variable holding the key (also looked up in
   ``.env``).
3. ``ZINV_API_KEY`` in the environment or ``.env``.
4. The file stored by ``zinv-tui login``: ``<config dir>/credentials/<profile>.key``, mode 0600 in a
   0700 directory, written atomically with that mode from the start.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from zinv_tui.config.errors import CredentialsError
from zinv_tui.config.paths import AppPaths
from zinv_tui.config.resolve import ResolvedSettings
from zinv_tui.redaction import register_secret

SHELL_SYNTAX = frozenset("|&;<>()$`\n*?[]{}~")
"""Characters that make ``api_key_command`` run through the shell (quotes are parsed by shlex)."""
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


@dataclass(frozen=True)
class ApiKey:
    """A key and a description of where it came from (never the key itself)."""

    value: SecretStr
    source: str


def stored_key_path(paths: AppPaths, profile: str) -> Path:
    """The file ``zinv-tui login`` writes for ``profile``."""
    return paths.credentials_dir / f"{profile}.key"


def make_private_dir(path: Path) -> None:
    """Create ``path`` (and parents) so that only the user can enter it (0700)."""
    path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    os.chmod(path, PRIVATE_DIR_MODE)


def store_api_key(paths: AppPaths, profile: str, key: SecretStr) -> Path:
    """Write ``key`` to the profile's 0600 file, atomically; return the path."""
    text = key.get_secret_value().strip()
    if not text:
        raise CredentialsError("the API key is empty")
    make_private_dir(paths.config_dir)
    make_private_dir(paths.credentials_dir)
    target = stored_key_path(paths, profile)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    descriptor = os.open(
        temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, PRIVATE_FILE_MODE
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), PRIVATE_FILE_MODE)
            handle.write(text + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        raise
    return target


def delete_api_key(paths: AppPaths, profile: str) -> bool:
    """Remove the profile's stored key; ``False`` if there was none."""
    try:
        stored_key_path(paths, profile).unlink()
    except FileNotFoundError:
        return False
    return True


def read_stored_key(path: Path) -> SecretStr:
    """The key in a stored file; refuses a file other users could read."""
    try:
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise CredentialsError(
                f"{path} can be read by other users (mode {mode:04o}); "
                f"run `chmod 600 {path}` or `zinv-tui login` again"
            )
        text = path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise CredentialsError(f"{path}: cannot be read ({error.strerror})") from None
    if not text:
        raise CredentialsError(f"{path} is empty; run `zinv-tui login` again")
    return SecretStr(text)


def command_needs_shell(command: str) -> bool:
    """Whether ``api_key_command`` uses shell syntax."""
    return any(character in SHELL_SYNTAX for character in command)


def run_key_command(command: str, timeout: float, environ: dict[str, str]) -> SecretStr:
    """Run ``command`` and return the first line it prints."""
    use_shell = command_needs_shell(command)
    arguments: str | list[str] = command if use_shell else shlex.split(command)
    try:
        completed = subprocess.run(
            arguments,
            shell=use_shell,
            stdout=subprocess.PIPE,
            stderr=None,
            timeout=timeout,
            env=environ,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise CredentialsError(
            f"api_key_command did not finish within {timeout:g} s; check the command or raise "
            "api_key_command_timeout"
        ) from None
    except OSError as error:
        raise CredentialsError(f"api_key_command could not start: {error.strerror}") from None
    if completed.returncode != 0:
        raise CredentialsError(
            f"api_key_command failed with exit status {completed.returncode} "
            "(see its messages above)"
        )
    lines = completed.stdout.decode("utf-8", "replace").strip().splitlines()
    if not lines or not lines[0].strip():
        raise CredentialsError("api_key_command printed nothing; it must print the API key")
    return SecretStr(lines[0].strip())


def describe_key_source(settings: ResolvedSettings) -> str:
    """Where the key would come from, without reading it (for ``zinv-tui config``)."""
    profile = settings.profile
    if profile.api_key_command:
        how = "via the shell" if command_needs_shell(profile.api_key_command) else "no shell"
        return f"command ({how}, timeout {profile.api_key_command_timeout:g} s)"
    if profile.api_key_env:
        name = profile.api_key_env
        present = name in settings.environ or name in settings.dotenv_variables
        return f"environment variable {name} ({'set' if present else 'NOT SET'})"
    if settings.env_api_key is not None:
        return f"{settings.env_api_key_source}"
    path = stored_key_path(settings.paths, settings.profile_name)
    if path.exists():
        return f"stored file {path}"
    return f"none (run `zinv-tui login --profile {settings.profile_name}`)"


def resolve_api_key(settings: ResolvedSettings) -> ApiKey:
    """The profile's API key, registered for redaction; :class:`CredentialsError` if none."""
    profile = settings.profile
    if profile.api_key_command:
        key = ApiKey(
            run_key_command(
                profile.api_key_command, profile.api_key_command_timeout, dict(settings.environ)
            ),
            "api_key_command",
        )
    elif profile.api_key_env:
        name = profile.api_key_env
        value = settings.environ.get(name) or settings.dotenv_variables.get(name)
        if not value or not value.strip():
            raise CredentialsError(
                f"profile {settings.profile_name!r} takes its API key from the environment "
                f"variable {name} ({settings.sources['api_key_env']}), which is not set"
            )
        key = ApiKey(SecretStr(value.strip()), f"environment variable {name}")
    elif settings.env_api_key is not None:
        key = ApiKey(settings.env_api_key, str(settings.env_api_key_source))
    else:
        path = stored_key_path(settings.paths, settings.profile_name)
        if not path.exists():
            raise CredentialsError(
                f"no API key for profile {settings.profile_name!r}: run "
                f"`zinv-tui login --profile {settings.profile_name}`, or set api_key_env or "
                "api_key_command for it"
            )
        key = ApiKey(read_stored_key(path), f"stored file {path}")
    register_secret(key.value)
    return key
