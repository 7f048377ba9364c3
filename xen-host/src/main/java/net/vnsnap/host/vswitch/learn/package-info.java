/** MAC address learning with ageing, in a garbage-free open-addressing table. */
package net.vnsnap.host.vswitch.learn;
