/** Why a model file was not accepted; the previous model keeps serving. */
export class ModelRejected extends Error {
  override readonly name = 'ModelRejected';
}
