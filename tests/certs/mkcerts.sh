#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Makes the test PKI in directory $1: a CA, server certificates for every
# key type the library signs with, a client certificate, and the bad ones
# (expired, wrong name, untrusted issuer). Made at build time, never committed.
set -euo pipefail
out=$1
mkdir -p "$out"
cd "$out"
rm -f ./*.pem ./*.key ./*.csr ./*.srl index.txt* serial* ./*.ext
q() { "$@" >/dev/null 2>&1 || { echo "mkcerts: failed: $*" >&2; "$@"; exit 1; }; }

mkca() { # name [keytype]
	# shellcheck disable=SC2046
	q openssl req -x509 $(keyopts "${2:-ecdsa256}") -nodes -keyout "$1.key" \
		-out "$1.pem" -subj "/CN=ktls test $1" -days 3650 \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}
keyopts() {
	case $1 in
	ecdsa256) echo "-newkey ec -pkeyopt ec_paramgen_curve:P-256" ;;
	ecdsa384) echo "-newkey ec -pkeyopt ec_paramgen_curve:P-384" ;;
	ecdsa521) echo "-newkey ec -pkeyopt ec_paramgen_curve:P-521" ;;
	ed448) echo "-newkey ed448" ;;
	rsapss) echo "-newkey rsa-pss -pkeyopt rsa_keygen_bits:2048" ;;
	rsa) echo "-newkey rsa:2048" ;;
	ed25519) echo "-newkey ed25519" ;;
	esac
}
leaf() { # name keytype ca cn san eku [days]
	local name=$1 type=$2 ca=$3 cn=$4 san=$5 eku=$6 days=${7:-825}
	# shellcheck disable=SC2046
	q openssl req $(keyopts "$type") -nodes -keyout "$name.key" -out "$name.csr" -subj "/CN=$cn"
	printf 'subjectAltName=%s\nextendedKeyUsage=%s\nbasicConstraints=CA:FALSE\n' "$san" "$eku" >"$name.ext"
	q openssl x509 -req -in "$name.csr" -CA "$ca.pem" -CAkey "$ca.key" -CAcreateserial \
		-days "$days" -out "$name.pem" -extfile "$name.ext"
	rm -f "$name.csr" "$name.ext"
}

mkca ca
mkca otherca
mkca ca-rsa rsa
san="DNS:server.test,DNS:localhost,IP:127.0.0.1"
for t in ecdsa256 ecdsa384 ecdsa521 rsa rsapss ed25519 ed448; do
	leaf "server-$t" "$t" ca server.test "$san" serverAuth
done
leaf server-other ecdsa256 ca other.test "DNS:other.test" serverAuth
# The same key type and name, signed with RSA (signature_algorithms_cert).
leaf server-rsaca ecdsa256 ca-rsa server.test "$san" serverAuth
leaf client ecdsa256 ca "ktls test client" "DNS:client.test" clientAuth
leaf untrusted ecdsa256 otherca server.test "$san" serverAuth

# Expired: openssl x509 cannot back-date, so sign through 'openssl ca'.
q openssl req $(keyopts ecdsa256) -nodes -keyout expired.key -out expired.csr -subj /CN=server.test
touch index.txt
echo 1000 >serial
cat >ca.cnf <<CNF
[ca]
default_ca = d
[d]
database = index.txt
serial = serial
new_certs_dir = .
default_md = sha256
policy = p
copy_extensions = none
[p]
commonName = supplied
[x]
subjectAltName = $san
extendedKeyUsage = serverAuth
CNF
q openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr -out expired.pem \
	-startdate 20200101000000Z -enddate 20200201000000Z -extensions x -notext
rm -f expired.csr ./*.old index.txt* serial* ca.cnf ./1000.pem ./*.srl
touch stamp
