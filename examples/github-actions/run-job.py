"""Runs one job of a GitHub Actions workflow here, as a runner would, for test-workflow.sh.

Each `run` step is written to a file as it stands in the workflow and run with the shell GitHub would pick
(`bash --noprofile --norc -eo pipefail` when the step or the workflow's `defaults.run.shell` says `bash`, else
`bash -e`); `if:` conditions, `${{ }}` expressions in `env:`, GITHUB_PATH, GITHUB_ENV, GITHUB_OUTPUT and
GITHUB_STEP_SUMMARY behave as on GitHub for what the example uses. `uses:` steps are not run: the working folder
is the checkout, and the cache is whatever an earlier job left in $HOME.

Usage: run-job.py WORKFLOW JOB EVENT [NAME=VALUE ...]
  EVENT          github.event_name (pull_request, push, schedule)
  NAME=VALUE     a change to the workflow's top-level `env:`, as its user would make (the checksum, the download URL)
Secrets are read from the environment (`secrets.X` is $X); the job's summary is left in $GITHUB_STEP_SUMMARY.
Exits 0 when the job succeeds or is skipped by its `if:`, 1 when it fails, and prints which steps ran.
"""
import os
import re
import subprocess
import sys
import tempfile

import yaml

workflow_path, job_name, event = sys.argv[1:4]
# NAME=VALUE changes an env entry of the workflow, -NAME drops one (as its user would edit the file).
edits = dict(arg.split("=", 1) for arg in sys.argv[4:] if not arg.startswith("-"))
drops = {arg[1:] for arg in sys.argv[4:] if arg.startswith("-")}
workflow = yaml.safe_load(open(workflow_path))
job = workflow["jobs"][job_name]
default_shell = ((workflow.get("defaults") or {}).get("run") or {}).get("shell")

summary = os.environ.get("GITHUB_STEP_SUMMARY") or tempfile.mkstemp(prefix="summary-")[1]
contexts = {
    "github": {
        "event_name": event,
        "token": os.environ.get("GITHUB_TOKEN_FOR_TEST", "ghs-test-token"),
        "ref": os.environ.get("GITHUB_REF", "refs/heads/main"),
        "event": {"pull_request": {"number": os.environ.get("PR_NUMBER_FOR_TEST", "7")}},
    },
    "secrets": dict(os.environ),
    "runner": {"os": "Linux", "arch": "X64", "temp": os.environ.get("RUNNER_TEMP", "/tmp")},
    "steps": {},
    "env": {},
    "job": {"status": "success"},
}


def lookup(path):
    value = contexts
    for part in path.split("."):
        if not isinstance(value, dict):
            return ""
        value = value.get(part, "")
    return value if value is not None else ""


def evaluate(expression):
    """The expression language as far as the example uses it: contexts, 'strings', ==, !=, ||, &&, always()."""
    status = contexts["job"]["status"]
    text = re.sub(r"\balways\(\)", "True", expression)
    text = re.sub(r"\bsuccess\(\)", repr(status == "success"), text)
    text = re.sub(r"\bfailure\(\)", repr(status == "failure"), text)
    text = re.sub(r"\b(github|secrets|runner|steps|env|job)((?:\.[A-Za-z0-9_-]+)+)",
                  lambda m: repr(lookup(m.group(1) + m.group(2))), text)
    text = text.replace("||", " or ").replace("&&", " and ")
    return eval(text, {"__builtins__": {}}, {"True": True, "False": False})


def substitute(value):
    return re.sub(r"\$\{\{\s*(.*?)\s*\}\}", lambda m: str(evaluate(m.group(1))), str(value))


def condition(expression, default_success=True):
    if expression is None:
        return contexts["job"]["status"] == "success"
    expression = str(expression).strip()
    if expression.startswith("${{") and expression.endswith("}}"):
        expression = expression[3:-2]
    uses_status = re.search(r"\b(always|success|failure|cancelled)\(\)", expression)
    if not uses_status and contexts["job"]["status"] != "success":
        return False
    return bool(evaluate(expression))


env = dict(os.environ)
for name, value in (workflow.get("env") or {}).items():
    if name in drops:
        drops.discard(name)
        continue
    value = edits.pop(name, value)
    contexts["env"][name] = substitute(value)
if edits or drops:
    sys.exit(f"run-job: the workflow has no env {', '.join(list(edits) + sorted(drops))} to change")
env.update(contexts["env"])

if "if" in job and not condition(job["if"]):
    print(f"run-job: {job_name} skipped on {event}")
    sys.exit(0)
for name, value in (job.get("env") or {}).items():
    env[name] = substitute(value)

work = tempfile.mkdtemp(prefix=f"run-job-{job_name}-")
path_file, env_file = os.path.join(work, "path"), os.path.join(work, "env")
extra_path = []
for index, step in enumerate(job["steps"]):
    label = step.get("name") or step.get("uses") or f"step {index}"
    if "run" not in step:
        print(f"run-job: {label}: not run here ({step.get('uses')})")
        continue
    if not condition(step.get("if")):
        print(f"run-job: {label}: skipped")
        continue
    step_env = dict(env)
    for name, value in (step.get("env") or {}).items():
        step_env[name] = substitute(value)
    output_file = os.path.join(work, f"output-{index}")
    open(output_file, "w").close()
    open(path_file, "w").close()
    open(env_file, "w").close()
    step_env.update(GITHUB_OUTPUT=output_file, GITHUB_PATH=path_file, GITHUB_ENV=env_file,
                    GITHUB_STEP_SUMMARY=summary, GITHUB_EVENT_NAME=event, CI="true",
                    RUNNER_TEMP=contexts["runner"]["temp"])
    step_env["PATH"] = os.pathsep.join(extra_path + [env["PATH"]])
    script = os.path.join(work, f"step-{index}.sh")
    with open(script, "w") as f:
        f.write(substitute(step["run"]))
    shell = step.get("shell") or default_shell
    command = ["bash", "--noprofile", "--norc", "-eo", "pipefail", script] if shell == "bash" else ["bash", "-e", script]
    code = subprocess.call(command, env=step_env)
    print(f"run-job: {label}: exit {code}", flush=True)
    outputs = {}
    for line in open(output_file):
        if "=" in line:
            key, value = line.rstrip("\n").split("=", 1)
            outputs[key] = value
    if "id" in step:
        contexts["steps"][step["id"]] = {"outputs": outputs, "outcome": "success" if code == 0 else "failure"}
    extra_path = [line.strip() for line in open(path_file) if line.strip()][::-1] + extra_path
    for line in open(env_file):
        if "=" in line:
            key, value = line.rstrip("\n").split("=", 1)
            env[key] = value
    if code != 0 and not step.get("continue-on-error"):
        contexts["job"]["status"] = "failure"

print(f"run-job: {job_name} {contexts['job']['status']}")
sys.exit(0 if contexts["job"]["status"] == "success" else 1)
