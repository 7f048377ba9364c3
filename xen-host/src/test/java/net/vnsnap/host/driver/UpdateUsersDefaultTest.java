package net.vnsnap.host.driver;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.util.List;
import org.junit.jupiter.api.Test;

class UpdateUsersDefaultTest {
    @Test
    void driversWithoutGuestAccessRefuseUpdatesWithADriverException() {
        // A driver implementing nothing but the interface's defaults, as an older driver would.
        HypervisorDriver d = (HypervisorDriver) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {HypervisorDriver.class},
                (proxy, method, args) -> method.isDefault() ? InvocationHandler.invokeDefault(proxy, method, args) : null);
        UnsupportedFeatureException e = assertThrows(UnsupportedFeatureException.class,
                () -> d.updateUsers("vm1", List.of(new GuestUser("alice"))));
        assertTrue(e.getMessage().contains("vm1"), e.getMessage());
    }
}
