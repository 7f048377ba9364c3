package net.vnsnap.host.agent;

import net.vnsnap.host.api.HostAgent;

/** The HostAgent contract checked in-process, against the LocalHostAgent itself. */
class LocalHostAgentContractTest extends HostAgentContract {

    @Override
    protected HostAgent agentUnderTest() {
        return local;
    }

    @Override
    protected int portBase() {
        return 47000 + (int) (ProcessHandle.current().pid() % 200) * 40;
    }
}
