# Sourced by scripts/run and scripts/test: make sure .venv exists and holds jaxchaos with its
# dependencies. Installs only when pyproject.toml changed since the last install.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
stamp="$venv/.jaxchaos-installed"
want="$(sha256sum "$root/pyproject.toml" | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ]; then
    echo "jaxchaos: creating $venv" >&2
    "${PYTHON:-python3}" -m venv "$venv"
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "jaxchaos: installing dependencies into $venv (first run only)" >&2
    log="$venv/install.log"
    if ! { "$venv/bin/python" -m pip install --upgrade pip \
           && "$venv/bin/python" -m pip install -e "$root[dev]"; } >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        echo "jaxchaos: installation failed; full log in $log" >&2
        exit 1
    fi
    echo "$want" > "$stamp"
fi
export PATH="$venv/bin:$PATH"
