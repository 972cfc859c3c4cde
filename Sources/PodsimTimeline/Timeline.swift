import PodsimCheckers
import PodsimHistory

/// The self-contained HTML timeline of one history.
public enum Timeline {
}
