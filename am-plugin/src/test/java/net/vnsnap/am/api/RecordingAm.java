package net.vnsnap.am.api;

import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import net.vnsnap.am.api.v3.AmApiV3;
import net.vnsnap.am.core.VersionInfo;
import net.vnsnap.certs.GeniCode;
import net.vnsnap.certs.GeniException;

/**
 * A test AM behind the wire endpoints: records the decoded arguments, answers with fixed slivers
 * (one ready, one configuring), and fails "Shutdown" with a bug, so the wire layer can be checked alone.
 */
final class RecordingAm implements AmApiV3 {

    private final URI url;
    private final List<String> calls;

    RecordingAm(URI url, List<String> calls) {
        this.url = url;
        this.calls = calls;
    }

    private static List<SliverStatus> two() {
        Instant t = Instant.parse("2027-06-01T00:10:00Z");
        return List.of(new SliverStatus("urn:publicid:IDN+x+sliver+1", t, "geni_provisioned", "geni_ready", null, null),
                new SliverStatus("urn:publicid:IDN+x+sliver+2", t, "geni_provisioned", "geni_configuring", null, null));
    }

    public Map<String, Object> getVersion(Options o) {
        return VersionInfo.value(url.toString(), url + "am/2.0", List.of("http://vnsnap.net/rspec/ext/snapshot/1"));
    }

    public String listResources(ApiCall c) {
        calls.add("ListResources " + c.caller().urn() + " creds=" + c.credentials().size());
        return "<rspec type=\"advertisement\" xmlns=\"http://www.geni.net/resources/rspec/3\"/>";
    }

    public Slivers allocate(ApiCall c, String slice, String rspec) {
        calls.add("Allocate " + slice + " " + rspec.length());
        return new Slivers(slice, "<manifest/>", List.of(new SliverStatus("urn:publicid:IDN+x+sliver+1",
                Instant.parse("2027-06-01T00:10:00Z"), "geni_allocated", "geni_pending_allocation", null, null)));
    }

    public Slivers provision(ApiCall c, List<String> urns) {
        Object users = c.options().asMap().get("geni_users");
        calls.add("Provision " + urns + " users=" + (users instanceof Object[] a ? a.length : -1));
        return new Slivers(urns.get(0), "<rspec type=\"manifest\"/>", two());
    }

    public Slivers status(ApiCall c, List<String> urns) {
        calls.add("Status " + urns);
        return new Slivers(urns.get(0), null, two());
    }

    public Slivers describe(ApiCall c, List<String> urns) {
        return new Slivers(urns.get(0), "<rspec type=\"manifest\">" + "x".repeat(5000) + "</rspec>", two());
    }

    public List<SliverStatus> renew(ApiCall c, List<String> urns, Instant t) {
        calls.add("Renew " + urns + " " + t);
        return two();
    }

    public ActionResult performOperationalAction(ApiCall c, List<String> urns, String action) throws GeniException {
        calls.add("POA " + action + (c.options().bool("geni_best_effort", false) ? " best-effort" : ""));
        if (action.equals("vnsnap_snapshot")) {
            return new ActionResult(List.of(), Map.of("vnsnap_snapshot_id", "snap-1"));
        }
        if (action.equals("geni_start")) {
            return new ActionResult(two(), null);
        }
        throw new GeniException(GeniCode.UNSUPPORTED, "Unsupported: action " + action + " is not supported");
    }

    public List<SliverStatus> delete(ApiCall c, List<String> urns) {
        calls.add("Delete " + urns);
        return List.of();
    }

    public void shutdown(ApiCall c, String slice) {
        throw new IllegalStateException("disk on fire");
    }
}
