#!/usr/bin/env bash
# The steps of bumpguard's GitHub Action (action.yml at the repository root),
# in one script so that they can be tested outside GitHub (tests/action.rs).
#
#   run.sh key      write `hash=<hash of the action's own source>` to $GITHUB_OUTPUT
#   run.sh install  cargo install --locked the action's own source
#   run.sh check    run `bumpguard check`, write the job summary and the step's
#                   outputs, post or update the pull-request comment when
#                   asked, and exit with bumpguard's code (1 blocked, 2 error;
#                   2 too when a passing run cannot replace an earlier comment)
#
# One analysis gives every report: the comment's Markdown (within GitHub's
# 65,536 characters), the job summary's (within its 1 MiB), and, for the
# artifact, the JSON and the Markdown with nothing left out.
#
# Every input arrives in an environment variable (INPUT_BASE, INPUT_HEAD,
# INPUT_CONFIG, INPUT_COMMENT, INPUT_SARIF, INPUT_ARGS, INPUT_ARTIFACT,
# INPUT_GITHUB_TOKEN); nothing is ever evaluated as shell code, and no field of the
# pull request (title, branch names, body) is read at all: only the base and
# head commit ids and the pull request's number, from $GITHUB_EVENT_PATH with
# jq.
set -euo pipefail

# The token may write to the pull request. bumpguard runs the dependency's
# code (contracts, and the rustdoc engine's build scripts and proc macros),
# so only `gh` gets it: it is kept in a shell variable that is not exported,
# and the variables that carry tokens are removed from the environment every
# other program inherits.
COMMENT_TOKEN=${INPUT_GITHUB_TOKEN:-${GH_TOKEN:-}}
unset INPUT_GITHUB_TOKEN GH_TOKEN GITHUB_TOKEN ACTIONS_RUNTIME_TOKEN \
  ACTIONS_ID_TOKEN_REQUEST_TOKEN ACTIONS_ID_TOKEN_REQUEST_URL

# `gh api` with the comment token.
gh_api() {
  GH_TOKEN=$COMMENT_TOKEN gh api "$@"
}

# First line of bumpguard's Markdown report; the comment is found by it.
readonly MARKER='<!-- bumpguard-report -->'

# Budgets in bytes (never fewer than characters): a comment holds 65,536
# characters, a step summary 1 MiB; both keep a margin.
readonly COMMENT_LIMIT=65000
readonly COMMENT_MAX_CHARS=65536
readonly SUMMARY_LIMIT=1000000

# GitHub shows 10 errors and 10 warnings per step. This script prints at
# most one error and one warning of its own, and the runner one error when
# the step fails: bumpguard gets the rest.
readonly ANNOTATION_LIMIT=8

# Who writes the comment when the token cannot say (the GITHUB_TOKEN may not
# read /user): the Actions bot.
readonly ACTIONS_BOT='github-actions[bot]'

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

# What the cached binary is built from: the manifest and lockfile, a build
# script when there is one, the source, and every folder the source
# includes files from (rules, templates, the example workflow; a test in
# tests/action.rs keeps this list in step with the source's include_str!).
readonly BUILD_INPUTS=(Cargo.toml Cargo.lock build.rs src rules templates examples)

cmd_key() {
  local root=${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}
  local hash inputs=() input
  for input in "${BUILD_INPUTS[@]}"; do
    [[ ! -e $root/$input ]] || inputs+=("$input")
  done
  # And the machine it runs on: the runner's OS and architecture, and its
  # image (a binary linked on one image may not start on another).
  hash=$(
    cd "$root" &&
      {
        printf 'os=%s arch=%s image=%s\n' "${RUNNER_OS:-}" "${RUNNER_ARCH:-}" "${ImageOS:-}"
        find "${inputs[@]}" -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
      } | sha256sum | cut -c1-20
  )
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

# The first line of a file of gh's output, for a message: what the API
# answered (HTTP status and message), at most 300 characters.
gh_said() {
  local text
  text=$(tr -s '\r\n' '  ' <"$1" | cut -c1-300)
  # Without the space a final line break became.
  text=${text%"${text##*[![:space:]]}"}
  # `%` would start an escape in a workflow command.
  text=${text//%/%25}
  printf '%s' "${text:-no answer}"
}

# The login the token comments as: what /user says, else the Actions bot
# (the GITHUB_TOKEN may not read /user; its comments are the bot's).
comment_author() {
  local login
  if login=$(gh_api user --jq .login 2>/dev/null) && [[ $login =~ ^[A-Za-z0-9-]+(\[bot\])?$ ]]; then
    printf '%s' "$login"
  else
    printf '%s' "$ACTIONS_BOT"
  fi
}

# Creates or updates the one pull-request comment that starts with $MARKER
# and was written by the token's user (a comment of someone else that starts
# the same way is never touched). Failing to post a first comment (a fork's
# read-only token, say) is a warning: the verdict, not the comment, decides
# the step. Failing to update an earlier comment is an error (returns 1):
# that comment would go on showing an out-of-date verdict.
post_comment() {
  local report=$1 dir=$2
  local pr repo author existing payload chars
  pr=$(event_field '.pull_request.number')
  if [[ -z $pr ]]; then
    echo "::warning title=bumpguard::comment is true but this run is not for a pull request: no comment posted"
    return 0
  fi
  [[ $pr =~ ^[0-9]+$ ]] || fail "the event's pull request number is not a number"
  repo=${GITHUB_REPOSITORY:?GITHUB_REPOSITORY is not set}
  chars=$(jq -Rrs 'length' "$report")
  if ((chars > COMMENT_MAX_CHARS)); then
    echo "::error title=bumpguard::the comment's report has $chars characters, more than a comment holds ($COMMENT_MAX_CHARS): not posted"
    return 1
  fi
  payload="$dir/comment.json"
  jq -n --rawfile body "$report" '{body: $body}' >"$payload"
  if ! gh_api --paginate "repos/$repo/issues/$pr/comments" >"$dir/comments.json" 2>"$dir/gh.err"; then
    echo "::warning title=bumpguard::could not list the pull request's comments ($(gh_said "$dir/gh.err")): no comment posted"
    return 0
  fi
  author=$(comment_author)
  # --paginate prints one JSON array a page; -s joins them.
  existing=$(jq -rs --arg author "$author" --arg marker "$MARKER" \
    'add // [] | map(select(.user.login == $author and ((.body // "") | startswith($marker)))) | .[0].id // empty' \
    "$dir/comments.json")
  if [[ -n $existing ]]; then
    [[ $existing =~ ^[0-9]+$ ]] || fail "unexpected comment id from the API"
    if gh_api --method PATCH "repos/$repo/issues/comments/$existing" --input "$payload" >"$dir/gh.err" 2>&1; then
      echo "bumpguard: updated the report comment on pull request #$pr"
    else
      echo "::error title=bumpguard::could not update the report comment on pull request #$pr ($(gh_said "$dir/gh.err")); it still shows an earlier report"
      return 1
    fi
  elif gh_api --method POST "repos/$repo/issues/$pr/comments" --input "$payload" >"$dir/gh.err" 2>&1; then
    echo "bumpguard: posted the report as a comment on pull request #$pr"
  else
    echo "::warning title=bumpguard::could not post the report comment ($(gh_said "$dir/gh.err")); with a fork's read-only token that is expected, otherwise give the job pull-requests: write"
  fi
}

# Where the full report is, for the notice of a cut report: the workflow
# run (its address from the runner's variables, each checked) and the
# artifact when one is uploaded.
full_report_hint() {
  local artifact=$1 run=""
  if [[ ${GITHUB_SERVER_URL:-} =~ ^https://[A-Za-z0-9.:-]+$ &&
    ${GITHUB_REPOSITORY:-} =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ &&
    ${GITHUB_RUN_ID:-} =~ ^[0-9]+$ ]]; then
    run=" $GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID"
  fi
  if [[ -n $artifact ]]; then
    printf 'in the artifact %s of the workflow run%s (JSON and Markdown, nothing left out)' "$artifact" "$run"
  else
    printf 'in the job summary of the workflow run%s (up to 1 MiB of it), or run bumpguard check --format json' "$run"
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
  local full="$dir/full"
  mkdir -p "$full"
  local comment="$dir/comment.md" report="$dir/report.md"
  local json="$full/report.json" full_md="$full/report.md"
  rm -f "$comment" "$report" "$json" "$full_md"
  local artifact=${INPUT_ARTIFACT:-}

  local bin
  bin=$(find_bumpguard)
  # `--name=value`: a value that starts with `-` stays a value.
  local args=(check "--repo=$workspace" "--cache-dir=$HOME/.cache/bumpguard"
    --format=json "--output=$json"
    "--also=markdown:$COMMENT_LIMIT=$comment"
    "--also=markdown:$SUMMARY_LIMIT=$report"
    "--also=markdown:0=$full_md"
    "--full-report-hint=$(full_report_hint "$artifact")"
    "--annotation-limit=$ANNOTATION_LIMIT")
  [[ -z $base ]] || args+=("--base=$base")
  [[ -z $head ]] || args+=("--head=$head")
  [[ -z ${INPUT_CONFIG:-} ]] || args+=("--config=$INPUT_CONFIG")
  if [[ -n ${INPUT_SARIF:-} ]]; then
    mkdir -p -- "$(dirname -- "$INPUT_SARIF")"
    args+=("--also=sarif=$INPUT_SARIF")
  fi
  # Every line of `args`, each split on white space: no globbing, no
  # quotes, no expansion.
  local line words
  while IFS= read -r line || [[ -n $line ]]; do
    read -r -a words <<<"$line"
    args+=("${words[@]}")
  done <<<"${INPUT_ARGS:-}"

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
  local file
  for file in "$comment" "$report"; do
    if [[ ! -s $file ]]; then
      # bumpguard stopped before writing a report (bad arguments, say).
      printf '%s\n## ⚠️ bumpguard could not run (exit code %s)\n\nSee the log of the bumpguard step for the error.\n' \
        "$MARKER" "$code" >"$file"
    fi
  done

  if [[ -n ${GITHUB_STEP_SUMMARY:-} ]]; then
    cat "$report" >>"$GITHUB_STEP_SUMMARY"
  fi

  local step_code=$code
  if [[ ${INPUT_COMMENT:-false} == true ]] && ! post_comment "$comment" "$dir"; then
    if [[ -n ${GITHUB_STEP_SUMMARY:-} ]]; then
      printf '\n> [!WARNING]\n> The pull-request comment could not be updated: it may show an earlier verdict. See the log of the bumpguard step.\n' >>"$GITHUB_STEP_SUMMARY"
    fi
    ((step_code != 0)) || step_code=2
  fi

  set_output verdict "$verdict"
  set_output report "$report"
  set_output comment-report "$comment"
  set_output json "$json"
  set_output full "$full"
  set_output exit-code "$step_code"
  [[ -z ${INPUT_SARIF:-} ]] || set_output sarif "$INPUT_SARIF"

  echo "bumpguard: verdict $verdict (exit code $step_code); the report is in the job summary and at $report"
  return "$step_code"
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
