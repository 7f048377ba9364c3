/** The host agent's configuration file. */
package net.vnsnap.host.config;
