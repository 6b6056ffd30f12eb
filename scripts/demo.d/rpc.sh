# RPC under Qubes policy: a copy asked and allowed from the CLI, a link opened in a disposable, a copy refused to vault
# Sourced by scripts/demo with $BH set and work, personal, vault running (see docs/rpc.md).

rpc_pending_id() { # waits for a pending ask from $1 and prints its id
  local id=""
  for _ in $(seq 1 100); do
    id=$("$BH" rpc pending --json | python3 -c 'import json,sys; l=[p["id"] for p in json.load(sys.stdin) if p["source"]==sys.argv[1]]; print(l[0] if l else "")' "$1")
    [[ -n "$id" ]] && { echo "$id"; return 0; }
    sleep 0.1
  done
  return 1
}

echo "--- local policy: the shipped rules, and one line of our own that sorts first"
mkdir -p "$BULKHEAD_HOME/policy.d"
cp policy/default/*.policy "$BULKHEAD_HOME/policy.d/"
printf 'qubes.Filecopy  *  @anyvm  vault  deny\n' > "$BULKHEAD_HOME/policy.d/30-local.policy"
cat "$BULKHEAD_HOME/policy.d/30-local.policy"
sleep 0.3 # the daemon reloads policy.d when it changes

echo "--- work copies report.txt; policy says ask, so the call waits for the admin"
"$BH" run work -- sh -c 'echo "quarterly numbers" > /home/user/report.txt'
"$BH" run work -- qvm-copy /home/user/report.txt &
copy_pid=$!
ask_id=$(rpc_pending_id work)
"$BH" rpc pending
"$BH" rpc answer "$ask_id" allow --target personal
wait "$copy_pid" && echo "qvm-copy exited 0"
"$BH" run personal -- sh -c 'ls -l ~/QubesIncoming/work; cat ~/QubesIncoming/work/report.txt'

echo "--- work opens a link: qubes.OpenURL goes to a new disposable, which is destroyed afterwards"
"$BH" run work -- qvm-open-in-dvm http://web.lab.test/ || true
"$BH" ls | grep -c '^disp' | sed 's/^/disposables left: /' || true

echo "--- work tries to copy to vault: refused by policy (exit 126), nothing arrives"
set +e
"$BH" run work -- qvm-copy-to-vm vault /home/user/report.txt
echo "exit code: $?"
set -e
"$BH" run vault -- sh -c 'test -e ~/QubesIncoming && ls -R ~/QubesIncoming || echo "vault has no QubesIncoming"'
