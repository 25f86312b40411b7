// Placeholder replaced below once the loaders exist.
export interface GraphQLContext {
  requestId: string;
}
