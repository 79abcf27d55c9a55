// The libvirt client API, for the LibvirtDriver module only.
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
