package net.vnsnap.rspec.opstate;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.vnsnap.rspec.model.AnyElement;
import net.vnsnap.rspec.model.Ns;
import net.vnsnap.rspec.model.RSpec;

/**
 * The operational-state machine an advertisement publishes for its sliver types
 * ({@code opstate:rspec_opstate} of {@code http://www.geni.net/resources/rspec/ext/opstate/1}).
 */
public record OpState(String aggregateManagerId, String start, List<String> sliverTypes, List<OpStateState> states) {

    public static final String PREFIX = "opstate";
    public static final String ELEMENT = "rspec_opstate";

    public OpState {
        sliverTypes = List.copyOf(sliverTypes);
        states = List.copyOf(states);
    }

    /**
     * The machine of a vnsnap aggregate: the GENI start/stop/restart cycle plus {@code vnsnap_snapshot}
     * (ready to ready_busy while a snapshot is taken) and {@code vnsnap_restore} (back to configuring).
     */
    public static OpState vnsnap(String amUrn, List<String> sliverTypes) {
        OpStateAction start = new OpStateAction("geni_start", "geni_ready", "Boot the virtual machine.");
        OpStateAction stop = new OpStateAction("geni_stop", "geni_notready", "Shut the virtual machine down.");
        OpStateAction restart = new OpStateAction("geni_restart", "geni_ready", "Reboot the virtual machine.");
        OpStateAction snapshot = new OpStateAction("vnsnap_snapshot", "geni_ready_busy",
                "Take a consistent snapshot of every snapshot-enabled VM of the slice.");
        OpStateAction restore = new OpStateAction("vnsnap_restore", "geni_configuring",
                "Bring the slice's VMs back to a snapshot named in the options.");
        return new OpState(amUrn, "geni_notready", sliverTypes, List.of(
                new OpStateState("geni_notready", "Provisioned slivers start powered off; geni_start boots them.",
                        List.of(start, restore)),
                new OpStateState("geni_configuring", "The VM is booting or being restored; wait for geni_ready.",
                        List.of()),
                new OpStateState("geni_ready", "The VM is running and reachable.",
                        List.of(stop, restart, snapshot, restore)),
                new OpStateState("geni_ready_busy", "The VM runs while a snapshot is taken; it returns to geni_ready.",
                        List.of()),
                new OpStateState("geni_stopping", "The VM is shutting down.", List.of()),
                new OpStateState("geni_failed", "The VM failed; geni_restart may recover it.", List.of(restart))));
    }

    public AnyElement toElement() {
        AnyElement.Builder b = AnyElement.builder(Ns.OPSTATE, PREFIX, ELEMENT)
                .attr("aggregate_manager_id", aggregateManagerId).attr("start", start);
        for (String t : sliverTypes) {
            b.child(AnyElement.builder(Ns.OPSTATE, PREFIX, "sliver_type").attr("name", t).build());
        }
        for (OpStateState s : states) {
            AnyElement.Builder sb = AnyElement.builder(Ns.OPSTATE, PREFIX, "state").attr("name", s.name());
            for (OpStateAction a : s.actions()) {
                AnyElement.Builder ab = AnyElement.builder(Ns.OPSTATE, PREFIX, "action").attr("name", a.name())
                        .attr("next", a.next());
                if (a.description() != null) {
                    ab.child(description(a.description()));
                }
                sb.child(ab.build());
            }
            if (s.description() != null) {
                sb.child(description(s.description()));
            }
            b.child(sb.build());
        }
        return b.build();
    }

    private static AnyElement description(String text) {
        return AnyElement.builder(Ns.OPSTATE, PREFIX, "description").text(text).build();
    }

    /** Every opstate block of an advertisement, read leniently (missing names stay null). */
    public static List<OpState> read(RSpec ad) {
        List<OpState> out = new ArrayList<>();
        for (AnyElement e : ad.extensions()) {
            if (e.is(Ns.OPSTATE, ELEMENT)) {
                out.add(fromElement(e));
            }
        }
        return out;
    }

    static OpState fromElement(AnyElement e) {
        List<String> types = new ArrayList<>();
        List<OpStateState> states = new ArrayList<>();
        for (AnyElement c : e.children()) {
            if (c.is(Ns.OPSTATE, "sliver_type")) {
                c.attr("name").ifPresent(types::add);
            } else if (c.is(Ns.OPSTATE, "state")) {
                List<OpStateAction> actions = new ArrayList<>();
                for (AnyElement a : c.children()) {
                    if (a.is(Ns.OPSTATE, "action")) {
                        actions.add(new OpStateAction(a.attr("name").orElse(null), a.attr("next").orElse(null),
                                descriptionOf(a).orElse(null)));
                    }
                }
                states.add(new OpStateState(c.attr("name").orElse(null), descriptionOf(c).orElse(null), actions));
            }
        }
        return new OpState(e.attr("aggregate_manager_id").orElse(null), e.attr("start").orElse(null), types, states);
    }

    private static Optional<String> descriptionOf(AnyElement e) {
        return e.children().stream().filter(c -> c.is(Ns.OPSTATE, "description")).map(AnyElement::text).findFirst();
    }
}
