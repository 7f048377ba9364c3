/** The host agent over XML-RPC with mutual TLS: the server-side endpoint and the client-side proxy (docs/hostd-protocol.md). */
package net.vnsnap.host.rpc;
