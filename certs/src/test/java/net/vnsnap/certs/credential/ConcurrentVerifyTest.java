package net.vnsnap.certs.credential;

import static net.vnsnap.certs.testkit.Fixtures.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** One verifier shared by many threads (as the AM does) gives every thread the same answers. */
class ConcurrentVerifyTest {

    @Test
    void sharedVerifierUnderConcurrency() throws Exception {
        CredentialVerifier v = new CredentialVerifier(roots(), at(VALID));
        String good = sliceCred();
        String bad = good.replace("slice+fixture2</target_urn>", "slice+fixture3</target_urn>");
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<int[]>> results = new ArrayList<>();
            for (int t = 0; t < 6; t++) {
                results.add(pool.submit(() -> {
                    int ok = 0;
                    int refused = 0;
                    for (int i = 0; i < 60; i++) {
                        v.verify(i % 2 == 0 ? good : delegatedCred(), null, urn(SLICE), Set.of(AmOperation.CREATE_SLIVER));
                        ok++;
                        try {
                            v.verify(bad, null, null, Set.of());
                        } catch (CredentialException e) {
                            if (e.reason() == CredentialFailure.BAD_SIGNATURE) {
                                refused++;
                            }
                        }
                    }
                    return new int[] {ok, refused};
                }));
            }
            for (Future<int[]> f : results) {
                assertArrayEquals(new int[] {60, 60}, f.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
