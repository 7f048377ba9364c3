package net.vnsnap.rspec.model;

/** The namespace URIs and schema locations the RSpec code refers to by name. */
public final class Ns {
    /** GENI RSpec v3, the namespace of every core element. */
    public static final String GENI = "http://www.geni.net/resources/rspec/3";
    /** ProtoGENI v2, the ancestor of GENI v3 whose XSDs we validate against after renaming. */
    public static final String PG2 = "http://www.protogeni.net/resources/rspec/2";
    public static final String XSI = "http://www.w3.org/2001/XMLSchema-instance";
    public static final String XMLNS = "http://www.w3.org/2000/xmlns/";
    public static final String XML = "http://www.w3.org/XML/1998/namespace";
    public static final String OPSTATE = "http://www.geni.net/resources/rspec/ext/opstate/1";
    public static final String EMULAB = "http://www.protogeni.net/resources/rspec/ext/emulab/1";
    public static final String DELAY = "http://www.protogeni.net/resources/rspec/ext/delay/1";
    public static final String JFED = "http://jfed.iminds.be/rspec/ext/jfed/1";
    public static final String CLIENT = "http://www.protogeni.net/resources/rspec/ext/client/1";

    public static final String GENI_AD_XSD = "http://www.geni.net/resources/rspec/3/ad.xsd";
    public static final String GENI_REQUEST_XSD = "http://www.geni.net/resources/rspec/3/request.xsd";
    public static final String GENI_MANIFEST_XSD = "http://www.geni.net/resources/rspec/3/manifest.xsd";
    public static final String OPSTATE_AD_XSD = "http://www.geni.net/resources/rspec/ext/opstate/1/ad.xsd";

    private Ns() {
    }
}
