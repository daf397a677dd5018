/*
 * Names of the wire parsers' result codes, for tests, traces and the CLI.
 * Kept next to the enum's only consumer-visible form so a new status cannot
 * be added without a name (the switch has no default and -Wswitch warns).
 */
#include "wire.h"

const char *wire_status_name(enum wire_status st)
{
        switch (st) {
        case WIRE_OK:
                return "ok";
        case WIRE_TRUNCATED:
                return "truncated";
        case WIRE_BAD_VERSION:
                return "bad_version";
        case WIRE_BAD_HDRLEN:
                return "bad_hdrlen";
        case WIRE_BAD_LENGTH:
                return "bad_length";
        case WIRE_BAD_CSUM:
                return "bad_csum";
        case WIRE_BAD_OPTION:
                return "bad_option";
        case WIRE_BAD_HWTYPE:
                return "bad_hwtype";
        }
        /* A value outside the enum (a corrupted variable): never NULL, so a
         * trace printing it cannot crash. */
        return "unknown";
}
