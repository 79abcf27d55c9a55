// sd-bus from libsystemd, for the SystemdDriver module only.
#include <systemd/sd-bus.h>
