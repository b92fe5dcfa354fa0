import ArgumentParser
import Foundation
import RoomSyncCore
import RoomSyncEngine
import RoomSyncUseCases

/// `--booking-horizon` and `--allow-booked-delete` (SPEC section 10): deleting a WeCom room cancels its bookings,
/// so plan says what a delete would cancel and apply refuses it unless told otherwise.
struct BookingOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Days of bookings to check before deleting rooms (0 skips the check).",
        discussion: "One get_booking_info call per day for the whole corp, only when the plan deletes rooms."))
    var bookingHorizon: Int = BookingCheck.defaultHorizonDays

    @Flag(help: "Allow a plan that deletes rooms with bookings (or whose bookings could not be checked).")
    var allowBookedDelete = false

    func validate() throws {
        if bookingHorizon < 0 || bookingHorizon > 365 {
            throw ValidationError("--booking-horizon must be between 0 and 365 days")
        }
    }

    var settings: BookingSettings {
        BookingSettings(horizonDays: bookingHorizon, allowBookedDelete: allowBookedDelete)
    }
}
