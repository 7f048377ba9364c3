package net.vnsnap.rspec.am;

/** What the aggregate assigned to one requested link: sliver URN and VLAN tag. */
public record LinkGrant(String sliverId, String vlantag) {
}
