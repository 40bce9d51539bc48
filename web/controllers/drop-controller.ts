import type { ReactiveController, ReactiveControllerHost } from 'lit';

/** Stops a controller and forgets it (Lit's `removeController` does not disconnect it). */
export function dropController(host: ReactiveControllerHost, controller: ReactiveController & { hostDisconnected(): void }): void {
  controller.hostDisconnected();
  host.removeController(controller);
}
