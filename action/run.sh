#!/usr/bin/env bash
# The steps of bumpguard's GitHub Action (action.yml at the repository root),
# in one script so that they can be tested outside GitHub (tests/action.rs).
#
#   run.sh key      write `hash=<hash of the action's own source>` to $GITHUB_OUTPUT
#   run.sh install  cargo install --locked the action's own source
#   run.sh check    run `bumpguard check`, write the job summary and the step's
#                   outputs, post or update the pull-request comment when
#                   asked, and exit with bumpguard's code (1 blocked, 2 error)
#
# Every input arrives in an environment variable (INPUT_BASE, INPUT_HEAD,
# INPUT_CONFIG, INPUT_COMMENT, INPUT_SARIF, INPUT_ARGS, GH_TOKEN); nothing is
# ever evaluated as shell code, and no field of the pull request (title,
# branch names, body) is read at all: only the base and head commit ids and
# the pull request's number, from $GITHUB_EVENT_PATH with jq.
set -euo pipefail

# First line of bumpguard's Markdown report; the comment is found by it.
readonly MARKER='<!-- bumpguard-report -->'

# Set while `run.sh check` prepares the run: a failure then still leaves a
# job summary and the step's outputs (verdict error).
PREPARING=false

# Workflow commands are read from stderr too; stderr also stays out of $(...).
fail() {
  echo "::error title=bumpguard action::$*" >&2
  if [[ $PREPARING == true ]]; then
    PREPARING=false
    if [[ -n ${GITHUB_STEP_SUMMARY:-} ]]; then
      printf '%s\n## ⚠️ bumpguard could not run\n\n%s\n' "$MARKER" "$*" >>"$GITHUB_STEP_SUMMARY"
    fi
    set_output verdict error
    set_output exit-code 2
  fi
  exit 2
}

# Appends name=value to $GITHUB_OUTPUT (values are single lines).
set_output() {
  [[ $2 != *$'\n'* ]] || fail "output $1 would span several lines"
  if [[ -n ${GITHUB_OUTPUT:-} ]]; then
    printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"
  fi
}

# A field of the event payload (jq path), or nothing.
event_field() {
  local event=${GITHUB_EVENT_PATH:-}
  [[ -n $event && -f $event ]] || return 0
  jq -r "$1 // empty" "$event"
}

cmd_key() {
  local root=${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}
  local hash
  # What the cached binary is built from: the manifest, the lockfile, the source.
  hash=$(cd "$root" && find Cargo.toml Cargo.lock src -type f -print0 |
    LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-20)
  set_output hash "$hash"
}

cmd_install() {
  local root=${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}
  cargo install --locked --force --path "$root"
}

# The bumpguard to run: the one on PATH, else cargo's bin directory.
find_bumpguard() {
  if command -v bumpguard >/dev/null 2>&1; then
    command -v bumpguard
  elif [[ -x ${CARGO_HOME:-$HOME/.cargo}/bin/bumpguard ]]; then
    echo "${CARGO_HOME:-$HOME/.cargo}/bin/bumpguard"
  else
    fail "bumpguard is not installed (the install step did not run or failed)"
  fi
}

# Creates or updates the one pull-request comment that starts with $MARKER.
# A failure (a fork's read-only token, say) is a warning: the verdict, not
# the comment, decides the step.
post_comment() {
  local report=$1 dir=$2
  local pr repo ids existing payload
  pr=$(event_field '.pull_request.number')
  if [[ -z $pr ]]; then
    echo "::warning title=bumpguard::comment is true but this run is not for a pull request: no comment posted"
    return 0
  fi
  [[ $pr =~ ^[0-9]+$ ]] || fail "the event's pull request number is not a number"
  repo=${GITHUB_REPOSITORY:?GITHUB_REPOSITORY is not set}
  payload="$dir/comment.json"
  jq -n --rawfile body "$report" '{body: $body}' >"$payload"
  if ! ids=$(gh api --paginate "repos/$repo/issues/$pr/comments" \
    --jq ".[] | select(.body | startswith(\"$MARKER\")) | .id"); then
    echo "::warning title=bumpguard::could not list the pull request's comments: no comment posted"
    return 0
  fi
  existing=${ids%%$'\n'*}
  if [[ -n $existing ]]; then
    [[ $existing =~ ^[0-9]+$ ]] || fail "unexpected comment id from the API"
    if gh api --method PATCH "repos/$repo/issues/comments/$existing" --input "$payload" >/dev/null; then
      echo "bumpguard: updated the report comment on pull request #$pr"
    else
      echo "::warning title=bumpguard::could not update the report comment (does the token have pull-requests: write?)"
    fi
  elif gh api --method POST "repos/$repo/issues/$pr/comments" --input "$payload" >/dev/null; then
    echo "bumpguard: posted the report as a comment on pull request #$pr"
  else
    echo "::warning title=bumpguard::could not post the report comment (does the token have pull-requests: write?)"
  fi
}

# A commit id from the event payload: hex only, so it can never be read as
# an option or a revision expression.
commit_id() {
  [[ $2 =~ ^[0-9a-f]{40}([0-9a-f]{24})?$ ]] || fail "the event's $1 is not a commit id"
  printf '%s' "$2"
}

# Fails unless revision $2 (the $1 side) names a commit of the checkout.
require_commit() {
  if ! git cat-file -e --end-of-options "$2^{commit}" 2>/dev/null; then
    fail "the $1 commit $2 is not in the checkout: check out the full history (actions/checkout with fetch-depth: 0)"
  fi
}

# The merge-base of the pull request's base and head commits: what the pull
# request changes is head against where it left the base branch. The base
# branch's tip may hold newer changes (other merged pull requests) that a
# branch behind it does not have; compared with the tip, they would show as
# this pull request undoing them.
merge_base() {
  local base=$1 head=$2 found
  require_commit base "$base"
  require_commit head "$head"
  if ! found=$(git merge-base --end-of-options "$base" "$head"); then
    if [[ $(git rev-parse --is-shallow-repository 2>/dev/null) == true ]]; then
      fail "cannot find where the pull request left its base branch: the checkout is shallow (use actions/checkout with fetch-depth: 0)"
    fi
    fail "the pull request's base $base and head $head have no common ancestor"
  fi
  printf '%s' "$found"
}

cmd_check() {
  PREPARING=true
  local workspace=${GITHUB_WORKSPACE:-$PWD}
  cd "$workspace"
  command -v jq >/dev/null 2>&1 || fail "jq is needed (it is on GitHub's runners)"
  local base=${INPUT_BASE:-} head=${INPUT_HEAD:-}
  local event_base="" event_head=""
  event_base=$(event_field '.pull_request.base.sha')
  event_head=$(event_field '.pull_request.head.sha')
  [[ -z $event_base ]] || event_base=$(commit_id "pull request's base commit" "$event_base")
  [[ -z $event_head ]] || event_head=$(commit_id "pull request's head commit" "$event_head")
  [[ -n $head ]] || head=$event_head
  if [[ -z $base && -n $event_base ]]; then
    if [[ -n $head ]]; then
      base=$(merge_base "$event_base" "$head")
      if [[ $base != "$event_base" ]]; then
        echo "bumpguard: comparing from $base, where the pull request left its base branch (the base branch is now at $event_base)"
      fi
    else
      base=$event_base
    fi
  fi

  local dir="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/bumpguard"
  mkdir -p "$dir"
  local report="$dir/report.md" json="$dir/report.json"
  rm -f "$report" "$json"

  local bin
  bin=$(find_bumpguard)
  # `--name=value`: a value that starts with `-` stays a value.
  local args=(check "--repo=$workspace" "--cache-dir=$HOME/.cache/bumpguard"
    --format=markdown "--output=$report" "--also=json=$json")
  [[ -z $base ]] || args+=("--base=$base")
  [[ -z $head ]] || args+=("--head=$head")
  [[ -z ${INPUT_CONFIG:-} ]] || args+=("--config=$INPUT_CONFIG")
  if [[ -n ${INPUT_SARIF:-} ]]; then
    mkdir -p -- "$(dirname -- "$INPUT_SARIF")"
    args+=("--also=sarif=$INPUT_SARIF")
  fi
  if [[ -n ${INPUT_ARGS:-} ]]; then
    # Split on white space only: no globbing, no quotes, no expansion.
    local extra
    read -r -a extra <<<"$INPUT_ARGS"
    args+=("${extra[@]}")
  fi

  PREPARING=false
  local code=0
  "$bin" "${args[@]}" || code=$?

  local verdict=""
  if [[ -s $json ]]; then
    verdict=$(jq -r '.verdict.status // empty' "$json" 2>/dev/null || true)
  fi
  if [[ -z $verdict ]]; then
    case $code in
    0) verdict=pass ;;
    1) verdict=blocked ;;
    *) verdict=error ;;
    esac
  fi
  if [[ ! -s $report ]]; then
    # bumpguard stopped before writing a report (bad arguments, say).
    printf '%s\n## ⚠️ bumpguard could not run (exit code %s)\n\nSee the log of the bumpguard step for the error.\n' \
      "$MARKER" "$code" >"$report"
  fi

  if [[ -n ${GITHUB_STEP_SUMMARY:-} ]]; then
    cat "$report" >>"$GITHUB_STEP_SUMMARY"
  fi
  set_output verdict "$verdict"
  set_output report "$report"
  set_output exit-code "$code"
  [[ -z ${INPUT_SARIF:-} ]] || set_output sarif "$INPUT_SARIF"

  if [[ ${INPUT_COMMENT:-false} == true ]]; then
    post_comment "$report" "$dir"
  fi

  echo "bumpguard: verdict $verdict (exit code $code); the report is in the job summary and at $report"
  return "$code"
}

case ${1:-} in
key) cmd_key ;;
install) cmd_install ;;
check) cmd_check ;;
*)
  echo "usage: $0 key|install|check" >&2
  exit 2
  ;;
esac
