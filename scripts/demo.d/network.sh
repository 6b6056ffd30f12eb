# Demo fragment (sourced by the main demo, bash): the sealed lab world, sys-net and sys-firewall, a page fetched through the chain, a firewall rule, and vault with no network.
# Needs: $BH (the bulkhead command), a running daemon, qubes work, personal and vault.

net_demo_say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# Start a qube unless it already runs.
net_demo_up() {
  if ! $BH ls --json | python3 -c 'import json,sys; n=sys.argv[1]; sys.exit(0 if any(q["name"]==n and q["state"]=="running" for q in json.load(sys.stdin)) else 1)' "$1"; then
    $BH start "$1"
  fi
}

net_demo() {
  net_demo_say "The lab world: an offline stand-in for the internet, in namespaces with no link to the host's network"
  $BH lab status >/dev/null 2>&1 || $BH lab up || return 1
  $BH lab status

  net_demo_say "Qubes' first-boot network: sys-net (uplink: lab) and sys-firewall; default_netvm = sys-firewall"
  $BH init --uplink lab || return 1
  # vault never gets a network; work and personal go through sys-firewall (set while they may be running).
  $BH prefs vault netvm '' || return 1
  net_demo_up work || return 1
  net_demo_up personal || return 1
  net_demo_up vault || return 1
  $BH prefs work netvm sys-firewall || return 1
  $BH prefs personal netvm sys-firewall || return 1
  $BH ls

  net_demo_say "work fetches http://web.lab.test/ through sys-firewall and sys-net"
  local page title seen
  page=$($BH run work -- curl -sS --max-time 10 http://web.lab.test/) || return 1
  title=$(printf '%s' "$page" | sed -n 's:.*<title>\(.*\)</title>.*:\1:p')
  echo "page title: $title"
  seen=$($BH run work -- curl -sS --max-time 10 http://web.lab.test/ip) || return 1
  echo "work's address inside: $($BH run work -- ip -4 -br addr show eth0 | awk '{print $3}')"
  echo "the web host saw:      $seen (sys-net's uplink: sys-net masquerades)"
  echo "work's route:          $($BH run work -- ip route show default)"

  net_demo_say "A firewall rule for work blocks other.lab.test (Qubes' qvm-firewall semantics)"
  $BH firewall work add --before 0 action=drop dsthost=other.lab.test || return 1
  $BH firewall work list
  echo "\$ bulkhead run work -- curl http://other.lab.test/"
  $BH run work -- curl -sS --max-time 10 http://other.lab.test/ && { echo "other.lab.test was reachable: the rule did not apply" >&2; return 1; }
  echo "(refused at once: sys-firewall answers ICMP admin-prohibited)"
  echo "web.lab.test still answers: $($BH run work -- curl -sS --max-time 10 -o /dev/null -w '%{http_code}' http://web.lab.test/)"

  net_demo_say "vault has no network at all: only lo"
  $BH prefs vault netvm
  $BH run vault -- ip -br link
  $BH run vault -- curl -sS --max-time 3 http://web.lab.test/ && { echo "vault reached the lab" >&2; return 1; }
  return 0
}

net_demo
