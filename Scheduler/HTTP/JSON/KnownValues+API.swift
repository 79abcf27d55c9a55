import Placement
import SchedulerService

// The enumerations the API reads: a value outside them is refused with the list of known ones.
extension PriorityClass: KnownValues {}
extension WorkloadKind: KnownValues {}
extension NodeClass: KnownValues {}
extension NodeState: KnownValues {}
extension StorageKind: KnownValues {}
extension RestartPolicy: KnownValues {}
extension Role: KnownValues {}
extension CatalogEntry.Kind: KnownValues {}
extension MeteringBasis: KnownValues {}
extension ScalingRate.Kind: KnownValues {}
extension ScalingRules.RateSelection: KnownValues {}
extension ScalingSpec.Weekday: KnownValues {}
